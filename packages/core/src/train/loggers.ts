import type { Manifest } from '../manifest/types.js';
import type { MetricsRecord } from './metrics-log.js';

/** The scalars of one optimisation step: loss and the objective's terms, gradNorm, learningRate, examplesPerSec. */
export interface StepLog {
  step: number;
  epoch: number;
  scalars: Record<string, number>;
}

/**
 * A destination for what training reports, beside metrics.jsonl (which is always written):
 * TensorBoard event files (@vaeflow/tensorboard), or MLflow, W&B and the like from a plugin.
 * Loggers are manifest components (`"loggers": [{ "type": "tensorboard" }]`, kind "logger");
 * the trainer calls each hook in order, and only with what has been checkpointed or is about to
 * be: a resumed run calls `start` with the step it resumes from, so a logger can drop what a
 * killed run wrote after it.
 */
export interface TrainingLogger {
  /** how often `step` is called, in optimiser steps (default 10) */
  readonly every?: number;
  start?(run: { outDir: string; manifest: Manifest; step: number; resumed: boolean }): void | Promise<void>;
  step?(log: StepLog): void;
  epoch?(train: MetricsRecord, val: MetricsRecord): void;
  end?(test: MetricsRecord): void;
  /** flush and release; called however training ends */
  close?(): void | Promise<void>;
}
