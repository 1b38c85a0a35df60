import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { ComponentDefinition, ComponentKind, ComponentSpec } from '../registry/plugin.js';
import type { Registry } from '../registry/registry.js';
import { componentSchema, coreManifestSchema } from './schema.js';
import type { Manifest } from './types.js';

/** One problem in a manifest, located by a JSON pointer (`/model/flows/0/type`). */
export interface ManifestIssue {
  path: string;
  message: string;
}

/** A manifest that failed validation; `message` lists every issue, one per line. */
export class ManifestError extends Error {
  constructor(readonly issues: ManifestIssue[], source = 'manifest') {
    super(`${source} is invalid:\n` + issues.map((i) => `  ${i.path || '/'}: ${i.message}`).join('\n'));
    this.name = 'ManifestError';
  }
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: false });
const coreValidator = ajv.compile(coreManifestSchema());
const componentValidators = new WeakMap<ComponentDefinition, ValidateFunction>();

/** Compiled once per component definition. */
function validatorFor(def: ComponentDefinition): ValidateFunction {
  let v = componentValidators.get(def);
  if (!v) {
    v = ajv.compile(componentSchema(def));
    componentValidators.set(def, v);
  }
  return v;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}

/** "did you mean" for a misspelled name, when one candidate is close. */
export function suggest(name: string, candidates: readonly string[]): string {
  let best = '';
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = editDistance(name, c);
    if (dist < bestD) [best, bestD] = [c, dist];
  }
  return bestD <= Math.max(2, Math.floor(name.length / 3)) ? ` (did you mean "${best}"?)` : '';
}

function describe(value: unknown): string {
  const s = JSON.stringify(value);
  return s === undefined ? String(value) : s.length > 40 ? s.slice(0, 37) + '...' : s;
}

/** Turns ajv errors into located issues under `base`. */
function toIssues(errors: ErrorObject[] | null | undefined, base: string): ManifestIssue[] {
  const out: ManifestIssue[] = [];
  for (const e of errors ?? []) {
    const at = base + e.instancePath;
    switch (e.keyword) {
      case 'additionalProperties': {
        const key = (e.params as { additionalProperty: string }).additionalProperty;
        const allowed = Object.keys(((e.parentSchema as Record<string, unknown>)?.properties as object) ?? {});
        out.push({ path: `${at}/${key}`, message: `unknown key "${key}"${suggest(key, allowed)}; allowed here: ${allowed.join(', ')}` });
        break;
      }
      case 'required':
        out.push({ path: `${at}/${(e.params as { missingProperty: string }).missingProperty}`, message: 'is required' });
        break;
      case 'enum':
        out.push({ path: at, message: `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')} (got ${describe(e.data)})` });
        break;
      case 'const':
        out.push({ path: at, message: `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)} (got ${describe(e.data)})` });
        break;
      case 'if':
        break; // the failing branch reports its own errors
      default:
        out.push({ path: at, message: `${e.message ?? 'is invalid'} (got ${describe(e.data)})` });
    }
  }
  return out;
}

/** Every component slot of a manifest with its kind and JSON pointer. */
function* slots(m: Record<string, any>): Generator<{ kind: ComponentKind; path: string; spec: unknown; set(v: unknown): void }> {
  yield { kind: 'dataset', path: '/data', spec: m.data, set: (v) => (m.data = v) };
  const model = m.model ?? {};
  for (const [key, kind] of [['encoder', 'encoder'], ['posterior', 'posterior'], ['prior', 'prior'], ['decoder', 'decoder'], ['likelihood', 'likelihood']] as const) {
    yield { kind, path: `/model/${key}`, spec: model[key], set: (v) => (model[key] = v) };
  }
  if (Array.isArray(model.flows)) {
    for (let i = 0; i < model.flows.length; i++) {
      yield { kind: 'flow', path: `/model/flows/${i}`, spec: model.flows[i], set: (v) => (model.flows[i] = v) };
    }
  }
  yield { kind: 'objective', path: '/objective', spec: m.objective, set: (v) => (m.objective = v) };
}

/**
 * Validates a component spec against its registered definition, filling defaults; returns the
 * issues (an unknown type names the package that would provide it).
 */
export function validateComponentSpec(registry: Registry, kind: ComponentKind, spec: unknown, path: string): { spec: ComponentSpec; issues: ManifestIssue[] } {
  const s = spec as ComponentSpec;
  if (!s || typeof s !== 'object' || typeof s.type !== 'string') return { spec: s, issues: [{ path, message: `must be an object with a "type" naming a ${kind} component` }] };
  const def = registry.get(kind, s.type);
  if (!def) {
    const known = registry.components(kind).map((c) => c.type);
    return { spec: s, issues: [{ path: `${path}/type`, message: registry.explainUnknown(kind, s.type) + suggest(s.type, known) }] };
  }
  const copy = structuredClone(s);
  const v = validatorFor(def);
  return v(copy) ? { spec: copy, issues: [] } : { spec: copy, issues: toIssues(v.errors, path) };
}

/**
 * Validates a manifest against the core schema and the schema of every component it names,
 * with defaults filled in. Returns the resolved manifest, or throws a {@link ManifestError}
 * listing every issue with its JSON path.
 */
export function resolveManifest(raw: unknown, registry: Registry, source = 'manifest'): Manifest {
  const { manifest, issues } = checkManifest(raw, registry);
  if (issues.length) throw new ManifestError(issues, source);
  return manifest!;
}

/** Like {@link resolveManifest} but returns the issues instead of throwing. */
export function checkManifest(raw: unknown, registry: Registry): { manifest?: Manifest; issues: ManifestIssue[] } {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { issues: [{ path: '', message: 'a manifest must be a JSON object' }] };
  const m = structuredClone(raw) as Record<string, any>;
  const issues: ManifestIssue[] = [];
  if (!coreValidator(m)) issues.push(...toIssues(coreValidator.errors, ''));
  for (const slot of slots(m)) {
    if (slot.spec === undefined) continue; // reported as missing by the core schema
    const r = validateComponentSpec(registry, slot.kind, slot.spec, slot.path);
    issues.push(...r.issues);
    slot.set(r.spec);
  }
  return issues.length ? { issues } : { manifest: m as Manifest, issues };
}
