import { definePlugin } from '@vaeflow/core';
import { fashionMnistDataset, mnistDataset } from './mnist.js';
import { twoMoonsDataset } from './two-moons.js';
import { archSeqDataset } from './arch-seq.js';
import { VERSION } from './version.js';

/** The datasets plugin: `mnist`, `fashion-mnist`, `two-moons`, `arch-seq`. */
export const plugin = definePlugin({
  name: '@vaeflow/datasets',
  version: VERSION,
  components: [mnistDataset, fashionMnistDataset, twoMoonsDataset, archSeqDataset],
});
export default plugin;
