import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { MetricsRecord, StepLog, TrainingLogger } from '@vaeflow/core';
import { encodeEvent, frameRecord, type EventFields } from './events.js';

/** The folder, inside the run folder, that holds the event files (`tensorboard --logdir runs/` finds it). */
export const EVENTS_FOLDER = 'tensorboard';

/**
 * Writes a run's scalars as TensorBoard event files in `<run>/tensorboard/`: every `every` steps
 * the step's loss, objective terms, gradient norm, learning rate and examples/s (tags
 * `step/<name>`), and per epoch the training and validation means (`train/<name>`,
 * `val/<name>`), then the test numbers (`test/<name>`), all against the global optimiser step.
 * Each training session opens a new file; a resumed one starts with a SessionLog START at the
 * step it resumes from, which tells TensorBoard to drop what the killed session wrote after it.
 */
export class TensorBoardLogger implements TrainingLogger {
  private fd: number | null = null;
  file: string | null = null;
  constructor(readonly every: number) {}

  start(run: { outDir: string; step: number; resumed: boolean }): void {
    const dir = path.join(run.outDir, EVENTS_FOLDER);
    fs.mkdirSync(dir, { recursive: true });
    const seconds = Math.floor(Date.now() / 1000);
    this.file = path.join(dir, `events.out.tfevents.${seconds}.${os.hostname()}.${process.pid}.vaeflow`);
    this.fd = fs.openSync(this.file, 'a');
    this.write({ wall_time: Date.now() / 1000, step: run.step, file_version: 'brain.Event:2' });
    if (run.resumed) this.write({ wall_time: Date.now() / 1000, step: run.step, session_log: { status: 1 } });
  }

  step(log: StepLog): void {
    this.scalars(log.step, 'step', log.scalars);
  }

  epoch(train: MetricsRecord, val: MetricsRecord): void {
    this.scalars(Number(train.step), 'train', train);
    this.scalars(Number(val.step), 'val', val);
    if (this.fd !== null) fs.fsyncSync(this.fd);
  }

  end(test: MetricsRecord): void {
    this.scalars(Number(test.step), 'test', test);
  }

  close(): void {
    if (this.fd === null) return;
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.fd = null;
  }

  private scalars(step: number, prefix: string, values: Record<string, unknown>): void {
    const value = Object.entries(values)
      .filter(([k, v]) => typeof v === 'number' && Number.isFinite(v) && !['epoch', 'step', 'n'].includes(k))
      .map(([k, v]) => ({ tag: `${prefix}/${k}`, simple_value: v as number }));
    if (value.length) this.write({ wall_time: Date.now() / 1000, step, summary: { value } });
  }

  private write(e: EventFields): void {
    if (this.fd === null) throw new Error('the TensorBoard logger was not started');
    fs.writeSync(this.fd, frameRecord(encodeEvent(e)));
  }
}
