import { PNG } from 'pngjs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../util/files.js';

/**
 * Tiles n images of shape [h, w, c] (values in [0, 1], row-major, flattened one after another)
 * into one PNG with a 2-pixel border. c = 1 is greyscale, c = 3 RGB.
 */
export function imageGridPng(values: Float32Array, n: number, shape: number[], columns = Math.ceil(Math.sqrt(n)), scale = 2): Buffer {
  const [h, w, c = 1] = shape;
  const pad = 2;
  const rows = Math.ceil(n / columns);
  const W = columns * (w * scale + pad) + pad;
  const H = rows * (h * scale + pad) + pad;
  const png = new PNG({ width: W, height: H });
  png.data.fill(255);
  const per = h * w * c;
  for (let k = 0; k < n; k++) {
    const ox = pad + (k % columns) * (w * scale + pad);
    const oy = pad + Math.floor(k / columns) * (h * scale + pad);
    for (let y = 0; y < h * scale; y++) {
      for (let x = 0; x < w * scale; x++) {
        const src = k * per + (Math.floor(y / scale) * w + Math.floor(x / scale)) * c;
        const o = ((oy + y) * W + ox + x) * 4;
        for (let ch = 0; ch < 3; ch++) {
          const v = values[src + (c === 3 ? ch : 0)];
          png.data[o + ch] = Math.round(255 * Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)));
        }
        png.data[o + 3] = 255;
      }
    }
  }
  return PNG.sync.write(png);
}

export function writeImageGrid(file: string, values: Float32Array, n: number, shape: number[], columns?: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, imageGridPng(values, n, shape, columns));
}

/** A few stops of the viridis colour map, for values scaled to [0, 1]. */
const VIRIDIS = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

function viridis(t: number): number[] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  return VIRIDIS[i].map((c, k) => Math.round(c + f * (VIRIDIS[i + 1][k] - c)));
}

export interface ScatterOptions {
  /** class labels: one colour each */
  labels?: ArrayLike<number>;
  /** a value per point, coloured with viridis from its 2nd to 98th percentile */
  values?: ArrayLike<number>;
  /** fixed axis range [lo, hi] for both axes (default: the data's) */
  range?: [number, number];
  size?: number;
}

/** A scatter plot of 2-D points (row-major x, y) as a PNG: for 2-D data and latents. */
export function scatterPng(points: Float32Array, n: number, labelsOrOptions?: ArrayLike<number> | ScatterOptions, size = 400): Buffer {
  const o: ScatterOptions = labelsOrOptions && !('length' in labelsOrOptions) ? labelsOrOptions : { labels: labelsOrOptions as ArrayLike<number> | undefined, size };
  const S = o.size ?? size;
  const png = new PNG({ width: S, height: S });
  png.data.fill(255);
  let [lo, hi] = o.range ?? [Infinity, -Infinity];
  if (!o.range) for (let i = 0; i < 2 * n; i++) if (Number.isFinite(points[i])) [lo, hi] = [Math.min(lo, points[i]), Math.max(hi, points[i])];
  if (!(hi > lo)) [lo, hi] = [lo - 1, lo + 1];
  const span = hi - lo;
  let vlo = 0;
  let vhi = 1;
  if (o.values) {
    const sorted = Array.from(o.values)
      .filter(Number.isFinite)
      .sort((a, b) => a - b);
    [vlo, vhi] = [sorted[Math.floor(sorted.length * 0.02)] ?? 0, sorted[Math.floor(sorted.length * 0.98)] ?? 1];
    if (!(vhi > vlo)) vhi = vlo + 1;
  }
  const palette = [
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [214, 39, 40],
    [148, 103, 189],
    [140, 86, 75],
    [227, 119, 194],
    [127, 127, 127],
    [188, 189, 34],
    [23, 190, 207],
  ];
  for (let i = 0; i < n; i++) {
    const px = Math.round(((points[2 * i] - lo) / span) * (S - 9)) + 4;
    const py = S - 5 - Math.round(((points[2 * i + 1] - lo) / span) * (S - 9));
    const col = o.values ? viridis((o.values[i] - vlo) / (vhi - vlo)) : palette[(o.labels ? o.labels[i] : 0) % palette.length];
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const x = px + dx;
        const y = py + dy;
        if (x < 0 || y < 0 || x >= S || y >= S) continue;
        const k = (y * S + x) * 4;
        png.data[k] = col[0];
        png.data[k + 1] = col[1];
        png.data[k + 2] = col[2];
        png.data[k + 3] = 255;
      }
    }
  }
  return PNG.sync.write(png);
}
