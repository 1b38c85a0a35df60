import { definePlugin } from '@vaeflow/core';
import { fashionMnistDataset, mnistDataset } from './mnist.js';
import { twoMoonsDataset } from './two-moons.js';
import { checkerboardDataset, ringsDataset } from './toy2d.js';
import { archSeqDataset } from './arch-seq.js';
import { VERSION } from './version.js';

/** The datasets plugin: `mnist`, `fashion-mnist`, the 2-D toys `two-moons`, `rings`, `checkerboard`, and `arch-seq`. */
export const plugin = definePlugin({
  name: '@vaeflow/datasets',
  version: VERSION,
  components: [mnistDataset, fashionMnistDataset, twoMoonsDataset, ringsDataset, checkerboardDataset, archSeqDataset],
});
export default plugin;
