/** @vaeflow/tensorboard — TensorBoard event files for vaeflow runs. */
export { plugin, plugin as default } from './plugin.js';
export { TensorBoardLogger, EVENTS_FOLDER } from './logger.js';
export { EVENT_SCHEMA, encodeEvent, decodeEvent, frameRecord, readRecords, maskedCrc32c, type EventFields } from './events.js';
export { VERSION } from './version.js';
