/**
 * What `vaeflow export` writes beside the page, and the page reads: `model.json` (this
 * description), `weights.bin` (the model's variables, float32, in the order of `weights`) and
 * `examples.bin` (test examples, uint8 grey levels or float32, then their labels).
 */
export const PAGE_FORMAT = 'vaeflow-page/1';

export interface ExportedTensor {
  name: string;
  shape: number[];
  /** offset in float32 elements into weights.bin */
  offset: number;
}

export interface ExportedExamples {
  n: number;
  /** `uint8`: values are k/255 (binary or grey-level images), stored as k; `float32`: stored as is */
  encoding: 'uint8' | 'float32';
  /** bytes of values before the labels (labels, one byte each, follow when `labelled`) */
  valueBytes: number;
  labelled: boolean;
}

export interface ExportedModel {
  format: typeof PAGE_FORMAT;
  /** the run folder's name, shown as the page title */
  run: string;
  /** the resolved manifest the run trained (its plugins are bundled into the page) */
  manifest: { seed: number | string; model: { type?: string; latentDim?: number } & Record<string, unknown> } & Record<string, unknown>;
  /** conditionDim and conditionNames for a conditional model's labels (see @vaeflow/core's conditionOnLabels) */
  dataset: { name: string; inputShape: number[]; valueKind: 'binary' | 'continuous'; conditionDim?: number; conditionNames?: string[] };
  weights: ExportedTensor[];
  examples: ExportedExamples;
  /** where the weights come from and what the run measured, for the page's header */
  source: { checkpoint: string; ema: boolean; testNegElbo?: number; isNll?: number; isK?: number; epochs?: number; vaeflow: string; exportedAt: string };
}
