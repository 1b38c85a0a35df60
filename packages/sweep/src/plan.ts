import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { ManifestError, loadAndCheckManifest, manifestDifferences, parseJson, type Manifest, type ManifestIssue, type Registry } from '@vaeflow/core';

/** A sweep file: a base manifest, configurations and/or a grid of overrides by JSON pointer, and seeds. */
/** How a sweep evaluates each run after training: `vaeflow eval --k K [--limit N] [--ex-post-gmm C] [--max-rows R]`. */
export interface SweepEval {
  k: number;
  limit?: number;
  exPostGmm?: number;
  /** model evaluations per pass (`--max-rows`): lower it for models whose passes are large (Glow's convolutions) */
  maxRows?: number;
}

export interface SweepFile {
  name: string;
  description?: string;
  /** the base manifest: a path (relative to the sweep file) or the manifest itself */
  base: string | Record<string, unknown>;
  /** folder for the run folders (relative to the working directory; default runs/sweeps/<name>) */
  out?: string;
  /** overrides for every run, applied before a configuration's (e.g. a budget) */
  set?: Record<string, unknown>;
  /** named configurations, each a set of overrides { "/json/pointer": value } (default: one, "base") */
  configurations?: { name: string; description?: string; set?: Record<string, unknown>; only?: Record<string, string[]> }[];
  /** every combination of these values is crossed with every configuration; a pointer's values
   *  are a list (labelled by the value) or an object of named values ({ "std": {...}, "dp": {...} }) */
  grid?: Record<string, unknown[] | Record<string, unknown>>;
  seeds: number[];
  /** the configuration paired differences are taken against (default the first) */
  baseline?: string;
  /** evaluate each run after training with `vaeflow eval` (importance-sampled NLL) */
  eval?: SweepEval | null;
}

/** The JSON schema of a sweep file (`vaeflow schema --sweep`). */
export function sweepSchema(): Record<string, unknown> {
  const name = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', maxLength: 80 };
  const overrides = { type: 'object', propertyNames: { pattern: '^(/[^/]*)+$' }, description: 'JSON pointer -> value' };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'vaeflow sweep',
    type: 'object',
    additionalProperties: false,
    required: ['name', 'base', 'seeds'],
    properties: {
      $schema: { type: 'string' },
      name: { ...name, description: 'names the sweep and its default folder runs/sweeps/<name>' },
      description: { type: 'string' },
      base: { oneOf: [{ type: 'string', minLength: 1 }, { type: 'object' }], description: 'base manifest: a path relative to the sweep file, or inline' },
      set: { ...overrides, description: "JSON pointer -> value, for every run (before the configurations' own)" },
      out: { type: 'string', minLength: 1, description: 'folder of the run folders, relative to the working directory; a shared filesystem path for queue workers on other machines' },
      configurations: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: {
            name,
            description: { type: 'string' },
            set: overrides,
            only: {
              type: 'object',
              propertyNames: { pattern: '^(/[^/]*)+$' },
              additionalProperties: { type: 'array', minItems: 1, items: { type: 'string' } },
              description: 'grid pointer -> the names of its values this configuration is crossed with (default all)',
            },
          },
        },
      },
      grid: {
        type: 'object',
        propertyNames: { pattern: '^(/[^/]*)+$' },
        additionalProperties: {
          oneOf: [
            { type: 'array', minItems: 1 },
            { type: 'object', minProperties: 1, propertyNames: { pattern: '^[A-Za-z0-9._-]+$' } },
          ],
        },
        description: 'JSON pointer -> a list of values, or an object of named values',
      },
      seeds: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'integer', minimum: 0 } },
      baseline: name,
      eval: {
        oneOf: [
          { type: 'null' },
          {
            type: 'object',
            additionalProperties: false,
            required: ['k'],
            properties: {
              k: { type: 'integer', minimum: 1 },
              limit: { type: 'integer', minimum: 1 },
              exPostGmm: {
                type: 'integer',
                minimum: 1,
                description: "also the NLL with the prior replaced by a K-component mixture fitted to the training set's posterior draws (vaeflow eval --ex-post-gmm)",
              },
              maxRows: {
                type: 'integer',
                minimum: 1,
                description: 'model evaluations per pass (vaeflow eval --max-rows, default 1024); lower it where a pass would overrun the wasm heap (Glow on images)',
              },
            },
          },
        ],
      },
    },
  };
}

/** One run of a sweep. */
export interface RunPlan {
  /** deterministic folder name: configuration, grid values, seed */
  name: string;
  /** the group a run's seeds share */
  configuration: string;
  seed: number;
  overrides: Record<string, unknown>;
  dir: string;
  manifest: Manifest;
  /** the plugins the manifest loaded (to compare it with a run folder's saved manifest) */
  registry: Registry;
}

export interface SweepPlan {
  sweep: SweepFile;
  /** absolute folder of the run folders */
  out: string;
  runs: RunPlan[];
  /** vaeflow version that planned the sweep (workers must match) */
  version: string;
}

/** A problem in a sweep file, located by its JSON pointer in the file. */
export class SweepError extends Error {
  constructor(
    readonly issues: ManifestIssue[],
    source: string,
  ) {
    super(`${source} is invalid:\n${issues.map((i) => `  ${i.path || '/'}: ${i.message}`).join('\n')}`);
    this.name = 'SweepError';
  }
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validateSweep = ajv.compile(sweepSchema());

/** Decodes one JSON pointer token (RFC 6901). */
const token = (t: string) => t.replace(/~1/g, '/').replace(/~0/g, '~');

/** Sets `value` at `pointer` in `target`, creating objects on the way; array indices (and "-") allowed. */
export function setPointer(target: Record<string, unknown>, pointer: string, value: unknown): void {
  const parts = pointer.split('/').slice(1).map(token);
  let node: unknown = target;
  parts.forEach((key, i) => {
    const last = i === parts.length - 1;
    if (Array.isArray(node)) {
      const index = key === '-' ? node.length : Number(key);
      if (!Number.isInteger(index) || index < 0 || index > node.length) throw new Error(`${pointer}: "${key}" is not an index of an array of ${node.length}`);
      if (last) node[index] = structuredClone(value);
      else node = node[index] ??= {};
      return;
    }
    if (node === null || typeof node !== 'object') throw new Error(`${pointer}: "${parts.slice(0, i).join('/')}" is not an object`);
    const obj = node as Record<string, unknown>;
    if (last) obj[key] = structuredClone(value);
    else node = obj[key] ??= {};
  });
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'x';

function describeValue(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return safe(String(v));
  const text = JSON.stringify(v);
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) >>> 0;
  return `v${h.toString(16).padStart(8, '0').slice(0, 6)}`;
}

/** Every combination of the grid's values, as override sets, with a label per combination. */
function gridCombinations(grid: SweepFile['grid']): { label: string; set: Record<string, unknown>; names: Record<string, string> }[] {
  const keys = Object.keys(grid ?? {});
  if (!keys.length) return [{ label: '', set: {}, names: {} }];
  // Short labels from the last pointer token, the whole pointer where two would clash.
  const short = keys.map((k) => safe(token(k.split('/').at(-1)!)));
  const labels = keys.map((k, i) => (short.filter((s) => s === short[i]).length > 1 ? safe(k.slice(1).replace(/\//g, '.')) : short[i]));
  let combos: { label: string[]; set: Record<string, unknown>; names: Record<string, string> }[] = [{ label: [], set: {}, names: {} }];
  keys.forEach((k, i) => {
    combos = combos.flatMap((c) => gridValues(grid![k]).map(([name, v]) => ({ label: [...c.label, `${labels[i]}-${name}`], set: { ...c.set, [k]: v }, names: { ...c.names, [k]: name } })));
  });
  return combos.map((c) => ({ label: c.label.join('_'), set: c.set, names: c.names }));
}

/** A grid pointer's values with their names (a list's values are named by describing them). */
function gridValues(values: unknown[] | Record<string, unknown>): [string, unknown][] {
  return Array.isArray(values) ? values.map((v) => [describeValue(v), v]) : Object.entries(values);
}

/** Reads and checks a sweep file (schema, unique names, the baseline), with located errors. */
export function readSweepFile(file: string): SweepFile {
  let raw: unknown;
  try {
    raw = parseJson(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new SweepError([{ path: '', message: (e as NodeJS.ErrnoException).code ? `cannot read it: ${(e as NodeJS.ErrnoException).code}` : (e as Error).message }], file);
  }
  if (!validateSweep(raw)) {
    throw new SweepError(
      (validateSweep.errors ?? []).map((e) => ({
        path: e.instancePath,
        message: e.keyword === 'additionalProperties' ? `unknown key "${(e.params as { additionalProperty: string }).additionalProperty}"` : (e.message ?? 'invalid'),
      })),
      file,
    );
  }
  const sweep = raw as SweepFile;
  const names = (sweep.configurations ?? []).map((c) => c.name);
  const issues: ManifestIssue[] = [];
  names.forEach((n, i) => names.indexOf(n) !== i && issues.push({ path: `/configurations/${i}/name`, message: `"${n}" names two configurations` }));
  for (const [ci, c] of (sweep.configurations ?? []).entries()) {
    for (const [pointer, wanted] of Object.entries(c.only ?? {})) {
      const where = `/configurations/${ci}/only/${pointer.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      const values = sweep.grid?.[pointer];
      if (!values) issues.push({ path: where, message: `the grid has no ${pointer}` });
      else
        for (const w of wanted)
          if (!gridValues(values).some(([n]) => n === w))
            issues.push({
              path: where,
              message: `the grid's ${pointer} has no value named "${w}" (it has ${gridValues(values)
                .map(([n]) => n)
                .join(', ')})`,
            });
    }
  }
  if (sweep.baseline && !(names.length ? names : ['base']).includes(sweep.baseline)) issues.push({ path: '/baseline', message: `no configuration is named "${sweep.baseline}"` });
  if (issues.length) throw new SweepError(issues, file);
  return sweep;
}

/**
 * Expands a sweep into its runs: configurations x grid combinations x seeds, each with a
 * deterministic name (`<configuration>[_<key>-<value>...]-s<seed>`) and folder, and its manifest
 * (the base with the overrides, `seed` and `name` set) validated with the plugins it names.
 * Every error names the run and the place in the sweep file it came from.
 */
export async function planSweep(file: string, options: { out?: string; version: string }): Promise<SweepPlan> {
  const sweep = readSweepFile(file);
  const sweepDir = path.dirname(path.resolve(file));
  let base: Record<string, unknown>;
  let baseDir = sweepDir;
  if (typeof sweep.base === 'string') {
    const baseFile = path.resolve(sweepDir, sweep.base);
    try {
      base = parseJson(fs.readFileSync(baseFile, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new SweepError([{ path: '/base', message: `cannot read the base manifest ${baseFile}: ${(e as Error).message}` }], file);
    }
    baseDir = path.dirname(baseFile);
  } else base = sweep.base;
  const out = path.resolve(options.out ?? sweep.out ?? path.join('runs', 'sweeps', sweep.name));
  const configurations = sweep.configurations ?? [{ name: 'base', set: {} }];
  const combos = gridCombinations(sweep.grid);
  const runs: RunPlan[] = [];
  const issues: ManifestIssue[] = [];
  const runIssues: { where: string; message: string; run: string }[] = [];
  for (const [ci, config] of configurations.entries()) {
    for (const combo of combos) {
      if (Object.entries(config.only ?? {}).some(([pointer, wanted]) => !wanted.includes(combo.names[pointer]))) continue;
      const configuration = combo.label ? `${config.name}_${combo.label}` : config.name;
      for (const seed of sweep.seeds) {
        const name = `${configuration}-s${seed}`;
        const raw = structuredClone(base);
        const overrides = { ...(sweep.set ?? {}), ...(config.set ?? {}), ...combo.set };
        let applied = true;
        for (const [pointer, value] of Object.entries(overrides)) {
          try {
            setPointer(raw, pointer, value);
          } catch (e) {
            applied = false;
            const escaped = pointer.replace(/~/g, '~0').replace(/\//g, '~1');
            issues.push({
              path: combo.set && pointer in combo.set ? '/grid' : config.set && pointer in config.set ? `/configurations/${ci}/set/${escaped}` : `/set/${escaped}`,
              message: (e as Error).message,
            });
          }
        }
        if (!applied) continue;
        raw.seed = seed;
        raw.name = name;
        const checked = await loadAndCheckManifest(raw, baseDir);
        if (!checked.manifest) {
          for (const i of checked.issues) runIssues.push({ where: sweep.configurations ? `/configurations/${ci}` : '/base', message: `manifest ${i.path || '/'}: ${i.message}`, run: name });
          continue;
        }
        runs.push({ name, configuration, seed, overrides, dir: path.join(out, name), manifest: checked.manifest, registry: checked.registry });
      }
    }
  }
  // Seed-major order: every configuration's first seed runs before any second seed, so a sweep
  // stopped part-way (or watched while it runs) has a complete one-seed table first.
  const seedRank = new Map(sweep.seeds.map((s, i) => [s, i]));
  runs.sort((a, b) => seedRank.get(a.seed)! - seedRank.get(b.seed)!);
  // One line per problem, naming the runs it affects (the same base error would repeat per run).
  const grouped = new Map<string, { where: string; message: string; runs: string[] }>();
  for (const i of runIssues) {
    const key = `${i.where}\0${i.message}`;
    if (!grouped.has(key)) grouped.set(key, { where: i.where, message: i.message, runs: [] });
    grouped.get(key)!.runs.push(i.run);
  }
  for (const g of grouped.values())
    issues.push({ path: g.where, message: `${g.message} (run${g.runs.length > 1 ? 's' : ''} ${g.runs.slice(0, 3).join(', ')}${g.runs.length > 3 ? ` and ${g.runs.length - 3} more` : ''})` });
  if (issues.length) throw new SweepError(issues, file);
  return { sweep, out, runs, version: options.version };
}

/** What `<out>/sweep.json` holds: enough for status, reports and remote workers. */
export interface SavedSweep {
  format: 'vaeflow-sweep';
  version: string;
  sweep: SweepFile;
  runs: { name: string; configuration: string; seed: number; overrides: Record<string, unknown> }[];
}

/** JSON with object keys sorted, so two equal manifests compare equal whatever their key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v,
  );
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/**
 * Writes `<out>/sweep.json` and each run's `manifest.json`, the resolved manifest it trains
 * from. A run folder that already holds a different manifest is an error (nothing is written):
 * a changed sweep must not mix its results with the old ones. Extending a sweep (more seeds,
 * more configurations) adds folders and leaves the others alone.
 */
export function writePlan(plan: SweepPlan): void {
  const conflicts: ManifestIssue[] = [];
  for (const run of plan.runs) {
    const file = path.join(run.dir, 'manifest.json');
    if (!fs.existsSync(file)) continue;
    const existing = JSON.parse(fs.readFileSync(file, 'utf8'));
    // Defaults a newer vaeflow fills in are not changes (see manifestDifferences).
    const differ = manifestDifferences(existing, run.manifest, run.registry);
    if (differ.length)
      conflicts.push({ path: `run ${run.name}`, message: `${file} holds a different manifest (at ${differ.slice(0, 4).join(', ')}); remove that run folder or give the sweep another name or --out` });
  }
  if (conflicts.length) throw new SweepError(conflicts, path.join(plan.out, 'sweep.json'));
  fs.mkdirSync(plan.out, { recursive: true });
  const saved: SavedSweep = {
    format: 'vaeflow-sweep',
    version: plan.version,
    sweep: plan.sweep,
    runs: plan.runs.map(({ name, configuration, seed, overrides }) => ({ name, configuration, seed, overrides })),
  };
  const sweepFile = path.join(plan.out, 'sweep.json');
  const previous = fs.existsSync(sweepFile) ? (JSON.parse(fs.readFileSync(sweepFile, 'utf8')) as SavedSweep) : null;
  // Runs planned earlier and not now (an extended sweep narrowed again) stay listed: their results are kept.
  for (const old of previous?.runs ?? []) if (!saved.runs.some((r) => r.name === old.name)) saved.runs.push(old);
  writeAtomic(sweepFile, `${JSON.stringify(saved, null, 2)}\n`);
  for (const run of plan.runs) {
    fs.mkdirSync(run.dir, { recursive: true });
    const file = path.join(run.dir, 'manifest.json');
    if (!fs.existsSync(file)) writeAtomic(file, `${JSON.stringify(run.manifest, null, 2)}\n`);
  }
}

/** Reads `<folder>/sweep.json` (a sweep folder), or plans nothing and says what is missing. */
export function readSavedSweep(folder: string): SavedSweep {
  const file = path.join(folder, 'sweep.json');
  if (!fs.existsSync(file)) throw new Error(`${folder} is not a sweep folder (no sweep.json); run vaeflow sweep <file> first`);
  const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as SavedSweep;
  if (saved.format !== 'vaeflow-sweep') throw new Error(`${file} is not a vaeflow sweep record`);
  return saved;
}

export { ManifestError };

/**
 * The runs of a plan that `only` names, in plan order: each entry is a run name, a configuration
 * name, or a pattern with `*` (e.g. `*-s1` for every configuration's seed 1). An entry that
 * matches no run is an error listing the names there are, so a typo does not silently run nothing.
 */
export function selectRuns(plan: SweepPlan, only: readonly string[] | undefined): SweepPlan {
  if (!only || only.length === 0) return plan;
  const matcher = (entry: string) => {
    const re = new RegExp(
      `^${entry
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    return (r: RunPlan) => re.test(r.name) || re.test(r.configuration);
  };
  const unknown = only.filter((entry) => !plan.runs.some(matcher(entry)));
  if (unknown.length) {
    const names = plan.runs.map((r) => r.name);
    throw new SweepError(
      unknown.map((entry) => ({ path: '--only', message: `"${entry}" matches no run or configuration; runs: ${names.slice(0, 12).join(', ')}${names.length > 12 ? `, ... (${names.length})` : ''}` })),
      `sweep ${plan.sweep.name}`,
    );
  }
  const matchers = only.map(matcher);
  return { ...plan, runs: plan.runs.filter((r) => matchers.some((m) => m(r))) };
}
