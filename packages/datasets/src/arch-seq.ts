import * as fs from 'node:fs';
import { Random, UserError, defineComponent, parseJson, type DataSplit, type Dataset } from '@vaeflow/core';
import { LAYER_TYPES, checkArchitecture, decodeArchitecture, encodeArchitecture, formatArchitecture, randomArchitecture, type Layer, type LayerType } from './architecture.js';

export * from './architecture.js';

/**
 * Reads architectures a user brings: a JSON array of `{ "layers": [{ "type", "value" }] }` (or
 * of layer arrays), or a CSV/text file with one architecture per line as `type:value;type:value`.
 * A bad record is an error naming the file and the record.
 */
export function readArchitectures(file: string): Layer[][] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read the architectures file ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const parsed = (): unknown[] => {
    try {
      return parseJson(text) as unknown[];
    } catch (e) {
      throw new UserError(`${file}: ${(e as Error).message}`);
    }
  };
  const records: unknown[] = file.endsWith('.json')
    ? parsed()
    : text
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'))
        .map((l) =>
          l.split(/[;,]/).map((p) => {
            const [type, value] = p.split(':');
            return { type: type?.trim(), value: value === undefined ? undefined : Number.isNaN(Number(value)) ? value.trim() : Number(value) };
          }),
        );
  if (!Array.isArray(records)) throw new UserError(`${file}: expected a JSON array of architectures`);
  return records.map((r, i) => {
    const layers = (Array.isArray(r) ? r : (r as { layers?: unknown }).layers) as Layer[] | undefined;
    if (!Array.isArray(layers)) throw new UserError(`${file}: record ${i} has no "layers" array`);
    for (const [j, l] of layers.entries())
      if (!LAYER_TYPES.includes(l?.type as LayerType) || l.type === 'end')
        throw new UserError(`${file}: record ${i}, layer ${j}: unknown layer type ${JSON.stringify(l?.type)} (one of ${LAYER_TYPES.slice(1).join(', ')})`);
    const why = checkArchitecture(layers);
    if (why) throw new UserError(`${file}: record ${i} is not a valid architecture: ${why}`);
    return layers;
  });
}

export interface ArchSeqOptions {
  steps: number;
  nTrain: number;
  nVal: number;
  nTest: number;
  dataSeed: number;
  file: string | null;
}

function split(archs: Layer[][], steps: number): DataSplit {
  const width = steps * (LAYER_TYPES.length + 1);
  const x = new Float32Array(archs.length * width);
  archs.forEach((a, i) => x.set(encodeArchitecture(a, steps), i * width));
  return { x, n: archs.length };
}

export const archSeqDataset = defineComponent<Dataset, ArchSeqOptions>({
  kind: 'dataset',
  type: 'arch-seq',
  pageDescriber: '@vaeflow/datasets/architecture',
  description: 'Neural-network architectures as sequences of (one-hot layer type, normalised feature), seeded generator or a JSON/CSV file (seed 002, sec. 4.1).',
  schema: {
    properties: {
      steps: { type: 'integer', minimum: 2, default: 12, description: 'sequence length T, including at least one end token' },
      nTrain: { type: 'integer', minimum: 1, default: 20000 },
      nVal: { type: 'integer', minimum: 1, default: 2000 },
      nTest: { type: 'integer', minimum: 1, default: 2000 },
      dataSeed: { type: 'integer', minimum: 0, default: 0 },
      file: { type: ['string', 'null'], default: null, description: "read architectures from this JSON or CSV file instead (split 80/10/10); a relative path is from the manifest's folder" },
    },
  },
  pathOptions: ['file'],
  dataShape: (o) => ({ inputShape: [o.steps, LAYER_TYPES.length + 1], valueKind: 'continuous' }),
  create: (o) => {
    const rng = new Random(`arch-seq:${o.dataSeed}`);
    let archs: Layer[][];
    if (o.file) {
      archs = readArchitectures(o.file);
      // The 80/10/10 split needs at least one architecture in each part.
      if (archs.length < 10)
        throw new UserError(`${o.file} holds ${archs.length} architecture${archs.length === 1 ? '' : 's'}; at least 10 are needed to split them 80/10/10 into training, validation and test sets`);
      archs.forEach((a, i) => {
        if (a.length >= o.steps) throw new UserError(`${o.file}: record ${i} has ${a.length} layers; steps ${o.steps} fits at most ${o.steps - 1}`);
      });
      const perm = rng.permutation(archs.length);
      archs = Array.from(perm, (i) => archs[i]);
    } else archs = Array.from({ length: o.nTrain + o.nVal + o.nTest }, () => randomArchitecture(rng, o.steps - 1));
    const nVal = o.file ? Math.round(archs.length * 0.1) : o.nVal;
    const nTest = o.file ? Math.round(archs.length * 0.1) : o.nTest;
    const nTrain = archs.length - nVal - nTest;
    return {
      name: 'arch-seq',
      inputShape: [o.steps, LAYER_TYPES.length + 1],
      valueKind: 'continuous',
      train: split(archs.slice(0, nTrain), o.steps),
      val: split(archs.slice(nTrain, nTrain + nVal), o.steps),
      test: split(archs.slice(nTrain + nVal), o.steps),
      prepareTrainBatch: () => undefined,
      describe: (row: Float32Array) => formatArchitecture(decodeArchitecture(row, o.steps)),
      validity: (row: Float32Array) => checkArchitecture(decodeArchitecture(row, o.steps)),
    };
  },
});
