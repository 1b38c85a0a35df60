#!/usr/bin/env node
// Rebuilds the prebuilt binary that ships in @vaeflow/native-linux-x64-gnu from the current
// sources, with OpenBLAS linked statically, and writes its third-party notices.
// Needs g++ and Debian's libopenblas-dev (static libopenblas.a). Run: npm run native:prebuild
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

const here = path.dirname(new URL(import.meta.url).pathname);
const target = path.resolve(here, '../../native-linux-x64-gnu');
if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error('the prebuilt binary is built on linux-x64');
const staticLib = '/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.a';
if (!fs.existsSync(staticLib)) throw new Error(`${staticLib} is missing: apt-get install libopenblas-dev`);
const built = path.join(target, 'vaeflow_native.build.tmp');
execFileSync(process.execPath, [path.join(here, 'build-native.mjs'), '--out', built], { stdio: 'inherit', env: { ...process.env, VAEFLOW_OPENBLAS: path.dirname(staticLib) } });
// Shipped (and committed) brotli-compressed: 25 MB -> 1.5 MB; @vaeflow/native unpacks it on first load.
const raw = fs.readFileSync(built);
const packed = zlib.brotliCompressSync(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_LGWIN]: 24, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length } });
fs.writeFileSync(path.join(target, 'vaeflow_native.node.br'), packed);
fs.rmSync(built);
for (const f of fs.readdirSync(target)) if (/^vaeflow_native.*\.node$/.test(f)) fs.rmSync(path.join(target, f)); // unpacked copies of an older binary

const copyright = '/usr/share/doc/libopenblas0-pthread/copyright';
// biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax, not a template
const version = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'libopenblas-dev'], { encoding: 'utf8' }).trim();
const notices = [
  '# Third-party notices',
  '',
  `vaeflow_native.node contains OpenBLAS (Debian package libopenblas-dev ${version}), linked`,
  "statically, under the BSD-3-Clause licence reproduced below from Debian's copyright file,",
  'and the GCC C++ runtime (libstdc++, libgcc) under the GCC Runtime Library Exception.',
  '',
  '```',
  fs.readFileSync(copyright, 'utf8').trimEnd(),
  '```',
  '',
].join('\n');
fs.writeFileSync(path.join(target, 'THIRD-PARTY-NOTICES.md'), notices);
console.log(
  `wrote ${path.relative(process.cwd(), target)}/vaeflow_native.node.br (${(packed.length / 2 ** 20).toFixed(1)} MiB; ${(raw.length / 2 ** 20).toFixed(1)} MiB unpacked) and THIRD-PARTY-NOTICES.md`,
);
