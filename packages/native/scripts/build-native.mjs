#!/usr/bin/env node
// Builds the native kernels from source with g++ and OpenBLAS (Debian: apt-get install g++
// libopenblas-dev), and records the hash of the sources the JavaScript side expects.
//
//   node scripts/build-native.mjs [--if-possible] [--if-needed] [--out FILE]
//
// Always writes dist/source-hash.json. Then compiles build/vaeflow_native.node, linking
// OpenBLAS statically when its static library is present (the binary then needs only glibc and
// can be copied into the prebuilt package: npm run native:prebuild at the workspace root).
// --if-possible: a missing compiler or BLAS prints one line and exits 0 (the prebuilt binary or
//                the wasm backend is used instead); without it, they are errors.
// --if-needed:   skip when a binary for this platform (the prebuilt one) loads and matches the sources.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { sourceHash, NATIVE_SOURCES } from './source-hash.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { values: args } = parseArgs({ options: { 'if-possible': { type: 'boolean' }, 'if-needed': { type: 'boolean' }, out: { type: 'string' } } });
const hash = sourceHash();
fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
fs.writeFileSync(path.join(root, 'dist', 'source-hash.json'), `${JSON.stringify({ sourceHash: hash })}\n`);

const say = (line) => process.stderr.write(`@vaeflow/native: ${line}\n`);
const giveUp = (why) => {
  if (args['if-possible'] || args['if-needed']) {
    say(`not built from source (${why}); the prebuilt binary is used where one exists for this platform, else the wasm backend`);
    process.exit(0);
  }
  say(`cannot build: ${why}`);
  process.exit(1);
};

if (args['if-needed']) {
  // The package's own loader decides, as it will at run time (it unpacks the prebuilt binary).
  try {
    const loaded = createRequire(import.meta.url)('../dist/index.js').loadNative();
    if (loaded.ok) {
      say(`${loaded.native.source} matches the sources; nothing to build`);
      process.exit(0);
    }
  } catch {
    // not built yet (a workspace before its TypeScript build): build below
  }
}

if (process.platform !== 'linux') giveUp(`building from source is set up for Linux only, not ${process.platform}`);
const compiler = process.env.CXX || 'g++';
if (spawnSync(compiler, ['--version'], { stdio: 'ignore' }).status !== 0) giveUp(`no C++ compiler (${compiler})`);

/** Node-API headers: Node's own include folder, or npm's nodedir setting. */
const nodeIncludes = [
  process.env.npm_config_nodedir && path.join(process.env.npm_config_nodedir, 'include', 'node'),
  path.join(path.dirname(process.execPath), '..', 'include', 'node'),
  '/usr/include/node',
  '/usr/local/include/node',
].filter(Boolean);
const nodeInclude = nodeIncludes.find((d) => fs.existsSync(path.join(d, 'node_api.h')));
if (!nodeInclude) giveUp(`no Node-API headers (node_api.h) in ${nodeIncludes.join(', ')}`);

/** OpenBLAS: VAEFLOW_OPENBLAS=<dir with lib and cblas.h>, else Debian's and common layouts. Static first. */
const multiarch = process.arch === 'x64' ? 'x86_64-linux-gnu' : process.arch === 'arm64' ? 'aarch64-linux-gnu' : '';
const blasDirs = [process.env.VAEFLOW_OPENBLAS, `/usr/lib/${multiarch}/openblas-pthread`, `/usr/lib/${multiarch}`, '/usr/lib64', '/usr/local/lib', '/opt/OpenBLAS/lib'].filter(Boolean);
const headerDirs = [process.env.VAEFLOW_OPENBLAS, `/usr/include/${multiarch}/openblas-pthread`, '/usr/include/openblas', '/usr/include', '/usr/local/include', '/opt/OpenBLAS/include'].filter(Boolean);
const staticLib = blasDirs.map((d) => path.join(d, 'libopenblas.a')).find((f) => fs.existsSync(f));
const sharedDir = blasDirs.find((d) => fs.existsSync(path.join(d, 'libopenblas.so')));
const header = headerDirs.find((d) => fs.existsSync(path.join(d, 'cblas.h')) && fs.readFileSync(path.join(d, 'cblas.h'), 'utf8').includes('openblas_set_num_threads'));
if (!header || (!staticLib && !sharedDir)) giveUp('OpenBLAS not found (Debian: apt-get install libopenblas-dev; or set VAEFLOW_OPENBLAS)');

const out = path.resolve(args.out ?? path.join(root, 'build', 'vaeflow_native.node'));
fs.mkdirSync(path.dirname(out), { recursive: true });
const sources = NATIVE_SOURCES.filter((f) => f.endsWith('.cc')).map((f) => path.join(root, f));
const flags = [
  '-O3',
  '-std=c++17',
  '-fPIC',
  '-shared',
  '-fvisibility=hidden',
  '-fno-math-errno',
  // FP exceptions are never trapped or read: lets GCC vectorise branch-free selects (elementwise.cc).
  '-fno-trapping-math',
  '-DNODE_GYP_MODULE_NAME=vaeflow_native',
  `-DVAEFLOW_SOURCE_HASH="${hash}"`,
  `-I${nodeInclude}`,
  `-I${header}`,
  ...sources,
  '-o',
  `${out}.tmp`,
  // Static OpenBLAS and C++ runtime: the binary then needs only glibc (and OpenBLAS picks its
  // CPU kernel at run time). Symbols of the static libraries stay private to this module.
  ...(staticLib ? [staticLib, '-Wl,--exclude-libs,ALL'] : [`-L${sharedDir}`, '-lopenblas', `-Wl,-rpath,${sharedDir}`]),
  '-static-libgcc',
  '-static-libstdc++',
  '-Wl,--gc-sections',
  '-lpthread',
  '-lm',
  '-s',
];
const started = Date.now();
try {
  execFileSync(compiler, flags, { stdio: ['ignore', 'inherit', 'inherit'] });
} catch {
  if (args['if-possible'] || args['if-needed']) giveUp(`${compiler} failed (see above)`);
  process.exit(1);
}
fs.renameSync(`${out}.tmp`, out);
say(
  `built ${path.relative(process.cwd(), out)} from source in ${((Date.now() - started) / 1000).toFixed(1)} s (OpenBLAS ${staticLib ? `static, ${staticLib}` : `shared, ${sharedDir}`}; sources ${hash.slice(0, 12)})`,
);
