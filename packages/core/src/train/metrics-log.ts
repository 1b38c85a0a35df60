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
 * Reads metrics.jsonl. A last line cut short (a kill or a full disk during an append) is
 * dropped, since that record was never complete; a damaged line anywhere else is an error that
 * names the file and the line.
 */
export function readMetrics(file: string): MetricsRecord[] {
  if (!fs.existsSync(file)) return [];
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const records: MetricsRecord[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      records.push(JSON.parse(line) as MetricsRecord);
    } catch {
      const torn = i === lines.length - 1 && !text.endsWith('\n');
      if (!torn) throw new Error(`${file} line ${i + 1} is not valid JSON: ${line.slice(0, 80)}`);
    }
  });
  return records;
}
