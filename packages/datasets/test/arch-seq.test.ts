import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Random, UserError, buildDataset, createRegistry, loadAndCheckManifest } from '@vaeflow/core';
import { checkArchitecture, decodeArchitecture, encodeArchitecture, formatArchitecture, plugin, randomArchitecture, readArchitectures, type Layer } from '../src/index.js';

describe('architecture sequences', () => {
  it('generates valid architectures that survive an encode/decode round trip', () => {
    const rng = new Random('arch');
    for (let i = 0; i < 500; i++) {
      const a = randomArchitecture(rng, 11);
      expect(checkArchitecture(a)).toBeNull();
      expect(decodeArchitecture(encodeArchitecture(a, 12), 12)).toEqual(a);
    }
  });

  it('rejects invalid architectures with a reason', () => {
    const bad: [Layer[], RegExp][] = [
      [
        [
          { type: 'pool', value: 2 },
          { type: 'dense', value: 64 },
        ],
        /starts with pool/,
      ],
      [
        [
          { type: 'dense', value: 64 },
          { type: 'conv', value: 32 },
          { type: 'dense', value: 64 },
        ],
        /conv after a dense/,
      ],
      [[{ type: 'conv', value: 32 }], /ends with conv/],
      [
        [
          { type: 'dense', value: 64 },
          { type: 'dropout', value: 0.2 },
          { type: 'dropout', value: 0.2 },
          { type: 'dense', value: 8 },
        ],
        /two dropout layers in a row/,
      ],
      [[{ type: 'dense', value: 100 }], /power of two/],
    ];
    for (const [layers, why] of bad) expect(checkArchitecture(layers)).toMatch(why);
  });

  it('prints readable architectures', () => {
    expect(
      formatArchitecture([
        { type: 'conv', value: 32 },
        { type: 'activation', value: 'relu' },
        { type: 'dense', value: 10 * 0 + 16 },
      ]),
    ).toBe('conv(32) -> activation(relu) -> dense(16)');
  });

  it('reads a user file and names a bad record', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'arch-'));
    const good = path.join(dir, 'a.csv');
    fs.writeFileSync(good, '# type:value per layer\nconv:32;activation:relu;dense:64\ndense:128;dropout:0.2;dense:16\n');
    expect(readArchitectures(good).length).toBe(2);
    const bad = path.join(dir, 'b.json');
    fs.writeFileSync(bad, JSON.stringify([{ layers: [{ type: 'dense', value: 64 }] }, { layers: [{ type: 'lstm', value: 3 }] }]));
    expect(() => readArchitectures(bad)).toThrow(/record 1, layer 0: unknown layer type "lstm"/);
  });

  it("resolves a relative file from the manifest's folder, and refuses empty, tiny or truncated files as the user's mistake", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'arch-'));
    const line = 'conv:32;activation:relu;dense:64';
    fs.writeFileSync(path.join(dir, 'archs.csv'), Array(12).fill(line).join('\n'));
    const raw = (file: string) => ({
      plugins: ['@vaeflow/datasets'],
      data: { type: 'arch-seq', file },
      model: { latentDim: 2, encoder: { type: 'mlp', hidden: [8] }, decoder: { type: 'mlp', hidden: [8] } },
    });
    const checked = await loadAndCheckManifest(raw('archs.csv'), dir);
    expect(checked.issues).toEqual([]);
    expect(checked.manifest!.data.file).toBe(path.join(dir, 'archs.csv'));
    const registry = createRegistry(plugin);
    const ds = await buildDataset(registry, checked.manifest!, new Random('d'));
    expect([ds.train.n, ds.val.n, ds.test.n]).toEqual([10, 1, 1]);
    const failure = async (name: string, text: string) => {
      fs.writeFileSync(path.join(dir, name), text);
      const m = (await loadAndCheckManifest(raw(name), dir)).manifest!;
      return buildDataset(registry, m, new Random('d')).then(
        () => null,
        (e) => e,
      );
    };
    for (const [name, text, message] of [
      ['empty.csv', '', /holds 0 architectures; at least 10 are needed/],
      ['tiny.csv', Array(3).fill(line).join('\n'), /holds 3 architectures; at least 10 are needed/],
      ['cut.json', '[{"layers": [{"type": "dense", "value": 64}]}, {"layers": [{"ty', /cut\.json: not valid JSON at line 1, column \d+/],
    ] as const) {
      const e = await failure(name, text);
      expect(e).toBeInstanceOf(UserError);
      expect(e.message).toMatch(message);
    }
  });
});
