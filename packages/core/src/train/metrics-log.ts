import * as fs from 'node:fs';

/** One line of metrics.jsonl: the epoch, the split, and the objective's terms (per-example means). */
export interface MetricsRecord {
  epoch: number;
  split: 'train' | 'val' | 'test';
  step?: number;
  [term: string]: number | string | undefined;
}

export function appendMetrics(file: string, record: MetricsRecord): void {
  fs.appendFileSync(file, JSON.stringify(record) + '\n');
}

export function readMetrics(file: string): MetricsRecord[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as MetricsRecord);
}
