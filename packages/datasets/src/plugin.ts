import { definePlugin } from '@vaeflow/core';
import { fashionMnistDataset, mnistDataset } from './mnist.js';
import { twoMoonsDataset } from './two-moons.js';
import { VERSION } from './version.js';

/** The datasets plugin: `mnist`, `fashion-mnist`, `two-moons`. */
export const plugin = definePlugin({
  name: '@vaeflow/datasets',
  version: VERSION,
  components: [mnistDataset, fashionMnistDataset, twoMoonsDataset],
});
export default plugin;
