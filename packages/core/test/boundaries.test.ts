import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Workspace module boundaries (the nx tags in each package.json): plugins (type:plugin) and
 * libraries (type:lib) may depend on @vaeflow/core only; the CLI (type:app) on core and, as
 * optional peers, libraries; core depends on no other @vaeflow package but the native kernel
 * pack (type:native), and on that only as an optional dependency; the native pack depends on
 * its per-platform binaries (type:native-binary) only, as optional dependencies, and those on
 * nothing; no source file reaches into another package's folder by a relative path.
 */
const root = path.resolve(__dirname, '../../..');
const packagesDir = path.join(root, 'packages');

function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : /\.(ts|mts|cts|js|cjs|mjs)$/.test(e.name) ? [p] : [];
  });
}

const packages = fs.readdirSync(packagesDir).filter((d) => fs.existsSync(path.join(packagesDir, d, 'package.json')));
const manifests = packages.map((d) => JSON.parse(fs.readFileSync(path.join(packagesDir, d, 'package.json'), 'utf8')));
const libraries = manifests.filter((p) => p.nx?.tags?.includes('type:lib')).map((p) => p.name as string);
const withTag = (tag: string) => manifests.filter((p) => p.nx?.tags?.includes(tag)).map((p) => p.name as string);
const nativePacks = withTag('type:native');
const nativeBinaries = withTag('type:native-binary');

describe('module boundaries', () => {
  for (const dir of packages) {
    const pj = JSON.parse(fs.readFileSync(path.join(packagesDir, dir, 'package.json'), 'utf8'));
    const tags: string[] = pj.nx?.tags ?? [];
    it(`${pj.name} has a type tag`, () => {
      expect(tags.some((t) => t.startsWith('type:'))).toBe(true);
    });
    const standalone = tags.includes('type:core') || tags.includes('type:native') || tags.includes('type:native-binary');
    const allowed = tags.includes('type:core')
      ? nativePacks
      : tags.includes('type:native')
        ? nativeBinaries
        : tags.includes('type:native-binary')
          ? []
          : tags.includes('type:app')
            ? ['@vaeflow/core', ...libraries]
            : ['@vaeflow/core'];
    it(`${pj.name} depends on no @vaeflow package but ${allowed.join(', ') || 'none'}`, () => {
      const declared = Object.keys({ ...pj.dependencies, ...pj.peerDependencies, ...pj.devDependencies, ...pj.optionalDependencies });
      expect(declared.filter((d) => d.startsWith('@vaeflow/') && !allowed.includes(d))).toEqual([]);
      for (const pack of [...nativePacks, ...nativeBinaries].filter((n) => declared.includes(n))) {
        expect(pj.optionalDependencies?.[pack], `${pack} must be an optional dependency of ${pj.name}`).toBeDefined();
      }
      if (!standalone) {
        expect(pj.peerDependencies?.['@vaeflow/core'], 'core must be a peer dependency').toBeDefined();
        expect(pj.dependencies?.['@vaeflow/core']).toBeUndefined();
      }
      for (const lib of libraries.filter((l) => declared.includes(l))) {
        expect(pj.peerDependenciesMeta?.[lib]?.optional, `${lib} must be an optional peer of ${pj.name}`).toBe(true);
        expect(pj.dependencies?.[lib]).toBeUndefined();
      }
    });
    it(`${pj.name} imports only its own files and allowed packages`, () => {
      const own = path.join(packagesDir, dir);
      const bad: string[] = [];
      for (const file of [...sourceFiles(path.join(own, 'src')), ...sourceFiles(path.join(own, 'test'))]) {
        const text = fs.readFileSync(file, 'utf8');
        for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)) {
          const spec = m[1];
          if (spec.startsWith('@vaeflow/') && !allowed.includes(spec.split('/').slice(0, 2).join('/'))) bad.push(`${path.relative(root, file)} imports ${spec}`);
          if (spec.startsWith('.') && !path.resolve(path.dirname(file), spec).startsWith(own + path.sep) && !file.includes(`${path.sep}test${path.sep}`))
            bad.push(`${path.relative(root, file)} reaches outside its package: ${spec}`);
        }
      }
      expect(bad).toEqual([]);
    });
  }
});
