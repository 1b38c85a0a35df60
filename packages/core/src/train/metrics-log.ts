import * as fs from 'node:fs';

/** One line of metrics.jsonl: the epoch, the split, and the objective's terms (per-example means). */
export interface MetricsRecord {
  epoch: number;
  split: 'train' | 'val' | 'test';
  step?: number;
  [term: string]: number | string | undefined;
}

export function appendMetrics(file: string, record: MetricsRecord): void {
  fs.appendFileSync(file, `${JSON.stringify(record)}\n`);
}

/**
 * Reads a JSON-lines file of the run folder (metrics.jsonl, flow-health.jsonl). A last line cut
 * short (a kill or a full disk during an append) is dropped, since that record was never
 * complete; a damaged line anywhere else is an error that names the file and the line.
 */
export function readJsonLines<T = unknown>(file: string): T[] {
  if (!fs.existsSync(file)) return [];
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const records: T[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      records.push(JSON.parse(line) as T);
    } catch {
      const torn = i === lines.length - 1 && !text.endsWith('\n');
      if (!torn) throw new Error(`${file} line ${i + 1} is not valid JSON: ${line.slice(0, 80)}`);
    }
  });
  return records;
}

/** Reads metrics.jsonl (see {@link readJsonLines}). */
export function readMetrics(file: string): MetricsRecord[] {
  return readJsonLines<MetricsRecord>(file);
}
