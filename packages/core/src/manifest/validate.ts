import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { SLOT_KIND, type ComponentDefinition, type ComponentKind, type ComponentSpec, type JsonSchema } from '../registry/plugin.js';
import type { ComponentRegistry as Registry } from '../registry/components.js';
import { componentSchema, coreManifestSchema } from './schema.js';
import type { Manifest } from './types.js';

/** One problem in a manifest, located by a JSON pointer (`/model/flows/0/type`). */
export interface ManifestIssue {
  path: string;
  message: string;
}

/** A manifest that failed validation; `message` lists every issue, one per line. */
export class ManifestError extends Error {
  constructor(
    readonly issues: ManifestIssue[],
    source = 'manifest',
  ) {
    super(`${source} is invalid:\n${issues.map((i) => `  ${i.path || '/'}: ${i.message}`).join('\n')}`);
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
  return s === undefined ? String(value) : s.length > 40 ? `${s.slice(0, 37)}...` : s;
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

/** The top-level component slots of a manifest with their kinds and JSON pointers (nested slots are found from each component's schema). */
// biome-ignore lint/suspicious/noExplicitAny: the manifest is walked before it is known to be valid
function* slots(m: Record<string, any>): Generator<{ kind: ComponentKind; path: string; spec: unknown; set(v: unknown): void }> {
  yield { kind: 'dataset', path: '/data', spec: m.data, set: (v) => (m.data = v) };
  yield { kind: 'model', path: '/model', spec: m.model, set: (v) => (m.model = v) };
  yield { kind: 'objective', path: '/objective', spec: m.objective, set: (v) => (m.objective = v) };
  if (Array.isArray(m.loggers)) for (const [i, spec] of m.loggers.entries()) yield { kind: 'logger', path: `/loggers/${i}`, spec, set: (v) => (m.loggers[i] = v) };
}

/** The nested slots a component's options declare: `key -> kind`, single or a list. */
function nestedSlots(def: ComponentDefinition): { key: string; kind: ComponentKind; list: boolean }[] {
  const out: { key: string; kind: ComponentKind; list: boolean }[] = [];
  for (const [key, prop] of Object.entries((def.schema?.properties as Record<string, JsonSchema>) ?? {})) {
    if (prop?.[SLOT_KIND]) out.push({ key, kind: prop[SLOT_KIND] as ComponentKind, list: false });
    else if ((prop?.items as JsonSchema | undefined)?.[SLOT_KIND]) out.push({ key, kind: (prop.items as JsonSchema)[SLOT_KIND] as ComponentKind, list: true });
  }
  return out;
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
  const issues: ManifestIssue[] = v(copy) ? [] : toIssues(v.errors, path);
  // Nested component slots (a model's encoder, a flow prior's flows) are checked against their own types.
  for (const slot of nestedSlots(def)) {
    const value = (copy as Record<string, unknown>)[slot.key];
    if (value === undefined) continue;
    if (slot.list) {
      if (!Array.isArray(value)) continue; // reported by the component's own schema
      const list = value as unknown[];
      for (let i = 0; i < list.length; i++) {
        const r = validateComponentSpec(registry, slot.kind, list[i], `${path}/${slot.key}/${i}`);
        issues.push(...r.issues);
        list[i] = r.spec;
      }
    } else {
      const r = validateComponentSpec(registry, slot.kind, value, `${path}/${slot.key}`);
      issues.push(...r.issues);
      (copy as Record<string, unknown>)[slot.key] = r.spec;
    }
  }
  return { spec: copy, issues };
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
  // biome-ignore lint/suspicious/noExplicitAny: a raw manifest, checked below
  const m = structuredClone(raw) as Record<string, any>;
  const issues: ManifestIssue[] = [];
  if (!coreValidator(m)) issues.push(...toIssues(coreValidator.errors, ''));
  for (const slot of slots(m)) {
    if (slot.spec === undefined) continue; // reported as missing by the core schema
    const r = validateComponentSpec(registry, slot.kind, slot.spec, slot.path);
    issues.push(...r.issues);
    slot.set(r.spec);
  }
  // The core schema and the model's own schema both check latentDim; report each problem once.
  const seen = new Set<string>();
  const unique = issues.filter((i) => !seen.has(`${i.path}\n${i.message}`) && seen.add(`${i.path}\n${i.message}`));
  return unique.length ? { issues: unique } : { manifest: m as Manifest, issues };
}
