import { describe, expect, it } from 'vitest';
import { ManifestError, TRAINING_SCHEMA, assembledManifestSchema, checkManifest, createRegistry, manifestDifferences, resolveManifest, definePlugin, BaseFlow, PluginError } from '../src/index.js';
import Ajv from 'ajv';
import { testDataPlugin, tinyManifest } from './helpers.js';

const registry = createRegistry(testDataPlugin);
const issuesOf = (m: unknown) => checkManifest(m, registry).issues;

describe('manifest validation', () => {
  it('accepts a valid manifest and fills defaults', () => {
    const m = resolveManifest(tinyManifest(), registry);
    expect(m.model.posterior).toEqual({ type: 'diagonal-gaussian' });
    expect(m.model.flows).toEqual([]);
    expect(m.model.encoder).toEqual({ type: 'mlp', hidden: [8], activation: 'relu' });
    expect(m.objective).toEqual({ type: 'elbo', beta: 1, warmupEpochs: 0, freeBits: 0, kl: 'auto' });
    expect(m.training.learningRate).toBe(1e-3);
    expect(m.training.clipNorm).toBe(200);
  });

  it('rejects run names that would leave runs/ (".", "..", slashes)', () => {
    for (const name of ['..', '.', '../x', 'a/b', ''])
      expect(
        issuesOf({ ...tinyManifest(), name }).map((i) => i.path),
        name,
      ).toContain('/name');
    expect(issuesOf({ ...tinyManifest(), name: 'run.v2..final' })).toEqual([]);
  });

  it('fills every training key, as TrainingOptions (derived from the schema) promises', () => {
    // TrainingOptions is the schema's static type with every key present; that holds only while every key has a default.
    const undefaulted: string[] = [];
    const walk = (node: { properties?: Record<string, { default?: unknown; properties?: object }> }, at: string) => {
      for (const [k, v] of Object.entries(node.properties ?? {})) {
        if (!('default' in v)) undefaulted.push(`${at}/${k}`);
        walk(v as never, `${at}/${k}`);
      }
    };
    walk(TRAINING_SCHEMA as never, '/training');
    expect(undefaulted).toEqual([]);
    const filled = resolveManifest(tinyManifest({ training: {} }), registry).training;
    expect(Object.keys(filled).sort()).toEqual(Object.keys(TRAINING_SCHEMA.properties).sort());
    expect(filled.schedule.decay).toBe('none');
    expect(filled.adam.beta2).toBe(0.999);
  });

  it('names the path of a misspelled key and suggests the right one', () => {
    const m = tinyManifest();
    (m.model as Record<string, unknown>).latentDimm = 3;
    const issues = issuesOf(m);
    expect(issues).toContainEqual(expect.objectContaining({ path: '/model/latentDimm' }));
    expect(issues.find((i) => i.path === '/model/latentDimm')!.message).toMatch(/did you mean "latentDim"/);
  });

  it('names the path of a misspelled component option', () => {
    const m = tinyManifest();
    (m.model as Record<string, any>).encoder = { type: 'mlp', hiden: [8] };
    const issues = issuesOf(m);
    expect(issues).toEqual([expect.objectContaining({ path: '/model/encoder/hiden', message: expect.stringMatching(/did you mean "hidden"/) })]);
  });

  it('names the path of a wrong type', () => {
    const m = tinyManifest({ training: { epochs: 'ten' } });
    expect(issuesOf(m)).toEqual([expect.objectContaining({ path: '/training/epochs', message: expect.stringMatching(/must be integer/) })]);
  });

  it('names the path of a negative latent size', () => {
    const m = tinyManifest();
    (m.model as Record<string, unknown>).latentDim = -4;
    expect(issuesOf(m)).toEqual([expect.objectContaining({ path: '/model/latentDim', message: expect.stringMatching(/>= 1.*-4/) })]);
  });

  it('names the package that provides an unknown first-party flow type', () => {
    const m = tinyManifest();
    (m.model as Record<string, unknown>).flows = [{ type: 'iaf' }];
    const [issue] = issuesOf(m);
    expect(issue.path).toBe('/model/flows/0/type');
    expect(issue.message).toMatch(/@vaeflow\/flows-iaf/);
  });

  it('lists installed types for an unknown third-party type', () => {
    const m = tinyManifest();
    (m.model as Record<string, any>).encoder = { type: 'transformer' };
    const [issue] = issuesOf(m);
    expect(issue.path).toBe('/model/encoder/type');
    expect(issue.message).toMatch(/installed encoder types: mlp, conv/);
  });

  it('reports every issue at once and throws a ManifestError listing them', () => {
    const m = tinyManifest({ seed: -1 });
    (m.model as Record<string, unknown>).latentDim = 0;
    expect(() => resolveManifest(m, registry)).toThrow(ManifestError);
    try {
      resolveManifest(m, registry);
    } catch (e) {
      expect((e as ManifestError).issues.map((i) => i.path).sort()).toEqual(['/model/latentDim', '/seed']);
    }
  });

  it('assembles a schema that agrees with validation', () => {
    const schema = assembledManifestSchema(registry);
    const ajv = new Ajv({ strict: false });
    const validate = ajv.compile(schema);
    expect(validate(tinyManifest())).toBe(true);
    const bad = tinyManifest();
    (bad.model as Record<string, any>).encoder = { type: 'mlp', hiden: [8] };
    expect(validate(bad)).toBe(false);
    expect(JSON.stringify(schema)).toContain('"stripes"');
  });
});

describe('registry', () => {
  it('refuses a second plugin claiming a registered type', () => {
    const r = createRegistry(testDataPlugin);
    const clash = definePlugin({ name: 'clash', version: '1.0.0', components: [{ ...testDataPlugin.components[0] }] });
    expect(() => r.use(clash)).toThrow(/test-data already provides/);
  });

  it('lists components through resolveAll and builds each model in its own child container', () => {
    const r = createRegistry(testDataPlugin);
    expect(r.components('dataset').map((c) => c.type)).toEqual(['stripes']);
    const a = r.createScope();
    const b = r.createScope();
    a.register('x', { useValue: 1 });
    expect(b.isRegistered('x')).toBe(false);
    expect(r.container.isRegistered('x')).toBe(false);
  });

  it('loads plugin packages relative to a relative base folder', async () => {
    const r = createRegistry();
    await r.load(['@vaeflow/core'], 'runs/some-run');
    expect(r.plugins().map((p) => p.name)).toContain('@vaeflow/core');
  });

  it('says which package to install for a missing plugin', async () => {
    const r = createRegistry();
    await expect(r.load(['@vaeflow/not-a-package'], process.cwd())).rejects.toThrow(PluginError);
    await expect(r.load(['@vaeflow/not-a-package'], process.cwd())).rejects.toThrow(/npm install @vaeflow\/not-a-package/);
  });

  it('keeps BaseFlow subclasses honest about inverses', () => {
    class Shift extends BaseFlow {
      readonly id = 'shift';
      protected forward(z: any) {
        return { z, logDet: z.sum(1) };
      }
    }
    const f = new Shift(2, false);
    expect(f.invertible).toBe(false);
  });
});

describe('manifest differences', () => {
  it('ignore defaults a newer version fills in, and name the paths of real changes', () => {
    const registry = createRegistry(testDataPlugin);
    const current = resolveManifest(tinyManifest({ training: { epochs: 3 } }), registry);
    // A run saved by an older vaeflow: no "loggers" slot, and no default it did not know.
    const { loggers: _l, ...older } = structuredClone(current) as unknown as Record<string, unknown>;
    void _l;
    expect(manifestDifferences(older, current, registry)).toEqual([]);
    const changed = structuredClone(older) as { training: { epochs: number; batchSize: number } };
    changed.training.epochs = 5;
    changed.training.batchSize = 7;
    expect(manifestDifferences(changed, current, registry)).toEqual(['/training/batchSize', '/training/epochs']);
    expect(manifestDifferences({ ...older, nonsense: 1 }, current, registry)).toEqual(['/nonsense']);
  });
});
