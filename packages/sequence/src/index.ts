/** @vaeflow/sequence — the LSTM sequence decoder. */
export { plugin, plugin as default } from './plugin.js';
export { LSTMCell } from './lstm.js';
export { SequenceDecoder, type SequenceDecoderOptions } from './decoder.js';
export { VERSION } from './version.js';
