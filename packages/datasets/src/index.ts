/** @vaeflow/datasets — MNIST, Fashion-MNIST and two moons as vaeflow dataset components. */
export { plugin, plugin as default } from './plugin.js';
export { readIdx, IdxFormatError, type IdxArray } from './idx.js';
export { binarizeInPlace, dequantizeInPlace, bytesToUnit } from './transforms.js';
export { makeImageDataset, imageDatasetSchema, type ImageDatasetOptions } from './image-dataset.js';
export { loadMnistFiles, loadFashionMnistFiles, mnistDataset, fashionMnistDataset } from './mnist.js';
export { twoMoons, twoMoonsDataset, type TwoMoonsOptions } from './two-moons.js';
export { rings, checkerboard, ringsDataset, checkerboardDataset, toyDataset, type ToyOptions, type ToySampler } from './toy2d.js';
export {
  LAYER_TYPES,
  archSeqDataset,
  checkArchitecture,
  decodeArchitecture,
  denormaliseFeature,
  encodeArchitecture,
  formatArchitecture,
  normaliseFeature,
  randomArchitecture,
  readArchitectures,
  type ArchSeqOptions,
  type Layer,
  type LayerType,
} from './arch-seq.js';
export { VERSION } from './version.js';
