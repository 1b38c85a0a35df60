import { defineComponent, definePlugin, type TrainingLogger } from '@vaeflow/core';
import { TensorBoardLogger } from './logger.js';
import { VERSION } from './version.js';

/** The TensorBoard plugin: the `tensorboard` logger (`"loggers": [{ "type": "tensorboard" }]`). */
export const plugin = definePlugin({
  name: '@vaeflow/tensorboard',
  version: VERSION,
  components: [
    defineComponent<TrainingLogger, { every: number }>({
      kind: 'logger',
      type: 'tensorboard',
      description: 'TensorBoard event files in <run>/tensorboard/: step, train, val and test scalars against the optimiser step.',
      schema: { properties: { every: { type: 'integer', minimum: 1, default: 10, description: 'log the step scalars every this many optimiser steps' } } },
      create: (o) => new TensorBoardLogger(o.every),
    }),
  ],
});
export default plugin;
