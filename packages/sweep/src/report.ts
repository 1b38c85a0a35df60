import * as fs from 'node:fs';
import * as path from 'node:path';
import { readMetrics, type MetricsRecord } from '@vaeflow/core';
import { readSavedSweep } from './plan';

/** t_{0.975, df} for df = 1..30 (two-sided 95%). */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045,
  2.042,
];

/** The 97.5% quantile of Student's t with df degrees of freedom (table to 30, Cornish-Fisher beyond). */
export function tQuantile975(df: number): number {
  if (df < 1) return NaN;
  if (df <= 30) return T975[Math.round(df) - 1];
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df);
}

/** Mean and 95% confidence half-width over n values: t_{0.975, n-1} s / sqrt(n); NaN half-width for n < 2. */
export interface Estimate {
  n: number;
  mean: number;
  half: number;
}

export function estimate(values: number[]): Estimate {
  const v = values.filter((x) => Number.isFinite(x));
  const n = v.length;
  if (!n) return { n: 0, mean: NaN, half: NaN };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { n, mean, half: NaN };
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return { n, mean, half: (tQuantile975(n - 1) * sd) / Math.sqrt(n) };
}

/** What one finished run contributes. */
export interface RunResult {
  name: string;
  configuration: string;
  seed: number;
  values: Record<string, number>;
  /** validation -ELBO (or loss) per epoch */
  curve: { epoch: number; value: number }[];
}

/** The metrics a sweep report shows, in order: key, heading, digits, lower is better. */
export const SWEEP_METRICS: { key: string; label: string; digits: number }[] = [
  { key: 'testNegElbo', label: 'test −ELBO', digits: 2 },
  { key: 'testKl', label: 'test KL', digits: 2 },
  { key: 'nll', label: 'IWAE NLL', digits: 2 },
  { key: 'exPostNll', label: 'IWAE NLL, ex-post GMM prior', digits: 2 },
  { key: 'examplesPerSec', label: 'train ex/s', digits: 0 },
  { key: 'minutes', label: 'train min', digits: 1 },
  { key: 'evalMinutes', label: 'eval min', digits: 1 },
  { key: 'parameters', label: 'parameters', digits: 0 },
];

const neg = (r?: MetricsRecord) => (r ? (r.elbo !== undefined ? -Number(r.elbo) : Number(r.loss)) : NaN);

/** Reads every finished run of a sweep folder. */
export function collectResults(sweepDir: string): { results: RunResult[]; configurations: string[]; baseline: string; name: string; evalK?: number; missing: string[] } {
  const saved = readSavedSweep(sweepDir);
  const results: RunResult[] = [];
  const missing: string[] = [];
  for (const run of saved.runs) {
    const dir = path.join(sweepDir, run.name);
    const metricsFile = path.join(dir, 'metrics.jsonl');
    const metrics = fs.existsSync(metricsFile) ? readMetrics(metricsFile) : [];
    const test = metrics.find((m) => m.split === 'test');
    if (!test) {
      missing.push(run.name);
      continue;
    }
    const train = metrics.filter((m) => m.split === 'train');
    const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) : {});
    const evaluation = read('eval.json');
    const result = read('sweep-result.json');
    results.push({
      name: run.name,
      configuration: run.configuration,
      seed: run.seed,
      values: {
        testNegElbo: neg(test),
        testKl: test.kl !== undefined ? Number(test.kl) : NaN,
        nll: evaluation.nll !== undefined ? Number(evaluation.nll) : NaN,
        exPostNll: evaluation.exPostGmm?.nll !== undefined ? Number(evaluation.exPostGmm.nll) : NaN,
        examplesPerSec: train.length ? train.reduce((s, m) => s + Number(m.examplesPerSec), 0) / train.length : NaN,
        // Training time from the epochs themselves, so a run resumed across sessions counts whole.
        minutes: train.length && train.every((m) => m.seconds !== undefined) ? train.reduce((s, m) => s + Number(m.seconds), 0) / 60 : result.seconds !== undefined ? result.seconds / 60 : NaN,
        evalMinutes: evaluation.seconds !== undefined ? Number(evaluation.seconds) / 60 : NaN,
        // a run only evaluated after a resume has no parameter count in sweep-result.json; eval.json has it
        parameters: result.parameters ?? evaluation.parameters ?? NaN,
      },
      curve: metrics.filter((m) => m.split === 'val').map((m) => ({ epoch: m.epoch, value: neg(m) })),
    });
  }
  const configurations = [...new Set(saved.runs.map((r) => r.configuration))];
  const baseline = saved.sweep.baseline ? (configurations.find((c) => c === saved.sweep.baseline || c.startsWith(`${saved.sweep.baseline}_`)) ?? configurations[0]) : configurations[0];
  return { results, configurations, baseline, name: saved.sweep.name, evalK: saved.sweep.eval?.k, missing };
}

export interface SweepSummary {
  name: string;
  baseline: string;
  evalK?: number;
  missing: string[];
  rows: { configuration: string; seeds: number[]; metrics: Record<string, Estimate> }[];
  /** configuration - baseline, paired by seed */
  differences: { configuration: string; pairs: number; metrics: Record<string, Estimate> }[];
  /** mean validation curve per configuration, with its 95% half-width per epoch */
  curves: { configuration: string; points: { epoch: number; mean: number; half: number; n: number }[] }[];
}

/** Means and 95% intervals over seeds per configuration, and paired differences to the baseline. */
export function summarizeSweep(sweepDir: string, baselineOverride?: string): SweepSummary {
  const { results, configurations, baseline: defaultBaseline, name, evalK, missing } = collectResults(sweepDir);
  const baseline = baselineOverride ?? defaultBaseline;
  if (!configurations.includes(baseline)) throw new Error(`no configuration "${baseline}" in this sweep; it has ${configurations.join(', ')}`);
  const of = (c: string) => results.filter((r) => r.configuration === c);
  const rows = configurations.map((c) => ({
    configuration: c,
    seeds: of(c).map((r) => r.seed),
    metrics: Object.fromEntries(SWEEP_METRICS.map((m) => [m.key, estimate(of(c).map((r) => r.values[m.key]))])),
  }));
  const base = new Map(of(baseline).map((r) => [r.seed, r]));
  const differences = configurations
    .filter((c) => c !== baseline)
    .map((c) => {
      const paired = of(c).filter((r) => base.has(r.seed));
      return {
        configuration: c,
        pairs: paired.length,
        metrics: Object.fromEntries(SWEEP_METRICS.filter((m) => m.key !== 'parameters').map((m) => [m.key, estimate(paired.map((r) => r.values[m.key] - base.get(r.seed)!.values[m.key]))])),
      };
    });
  const curves = configurations.map((c) => {
    const epochs = [...new Set(of(c).flatMap((r) => r.curve.map((p) => p.epoch)))].sort((a, b) => a - b);
    return { configuration: c, points: epochs.map((e) => ({ epoch: e, ...estimate(of(c).map((r) => r.curve.find((p) => p.epoch === e)?.value ?? NaN)) })) };
  });
  return { name, baseline, evalK, missing, rows, differences, curves };
}

/** "102.47 ± 0.31" (mean ± 95% half-width), "102.47" for one value or no spread, "–" for none. */
export function formatEstimate(e: Estimate, digits: number, signed = false): string {
  if (!e?.n || !Number.isFinite(e.mean)) return '–';
  // Rounded to zero is shown as 0, never -0.
  const f = (v: number) => (Math.abs(v) < 0.5 * 10 ** -digits ? 0 : v).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const mean = `${signed && e.mean >= 0.5 * 10 ** -digits ? '+' : ''}${f(e.mean)}`;
  return Number.isFinite(e.half) && e.half > 0 ? `${mean} ± ${f(e.half)}` : mean;
}

/** The summary as markdown tables that docs can include as they are. */
export function sweepMarkdown(s: SweepSummary): string {
  const shown = SWEEP_METRICS.filter((m) => !['nll', 'exPostNll', 'evalMinutes'].includes(m.key) || s.rows.some((r) => r.metrics[m.key].n > 0));
  const label = (m: { key: string; label: string }) => (m.key === 'nll' && s.evalK ? `IWAE NLL (K = ${s.evalK})` : m.label);
  const lines = [
    `Mean ± 95% confidence half-width over seeds (Student's t, n − 1 degrees of freedom); n is the number of seeds.`,
    '',
    `| configuration | n | ${shown.map(label).join(' | ')} |`,
    `| --- | ---: | ${shown.map(() => '---:').join(' | ')} |`,
    ...s.rows.map((r) => `| ${r.configuration} | ${r.seeds.length} | ${shown.map((m) => formatEstimate(r.metrics[m.key], m.digits)).join(' | ')} |`),
  ];
  if (s.differences.length) {
    const diff = shown.filter((m) => m.key !== 'parameters');
    lines.push(
      '',
      `Paired differences to **${s.baseline}** (same seed), mean ± 95% half-width; n is the number of pairs. An interval that excludes 0 is a difference the seeds support.`,
      '',
      `| configuration − ${s.baseline} | n | ${diff.map((m) => `Δ ${label(m)}`).join(' | ')} |`,
      `| --- | ---: | ${diff.map(() => '---:').join(' | ')} |`,
      ...s.differences.map((d) => `| ${d.configuration} | ${d.pairs} | ${diff.map((m) => formatEstimate(d.metrics[m.key], m.digits, true)).join(' | ')} |`),
    );
  }
  if (s.missing.length) lines.push('', `Not finished yet (left out): ${s.missing.join(', ')}.`);
  return `${lines.join('\n')}\n`;
}
