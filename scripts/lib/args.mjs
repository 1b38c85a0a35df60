// Command-line options of the scripts in scripts/: node's parseArgs, plus --help (-h), which
// prints the script's own header comment (what it does and its usage lines), and, for an option
// it does not take, the message and the usage lines instead of a stack trace.
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** The leading comment of a script (a /** block or // lines after the shebang), as plain text. */
function headerComment(file) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const text = [];
  let i = lines[0]?.startsWith('#!') ? 1 : 0;
  if (lines[i]?.trim().startsWith('/**')) {
    for (i++; i < lines.length && !lines[i].trim().startsWith('*/'); i++) text.push(lines[i].replace(/^\s*\* ?/, ''));
  } else {
    for (; i < lines.length && lines[i].startsWith('//'); i++) text.push(lines[i].replace(/^\/\/ ?/, ''));
  }
  return text.join('\n').trim();
}

/**
 * parseArgs(config) for the script at `scriptUrl` (its import.meta.url): `--help` prints its
 * header comment and exits 0; an unknown or malformed option prints the error and the comment's
 * usage lines (those that run `node scripts/...`) and exits 2.
 */
export function parseScriptArgs(scriptUrl, config) {
  const file = fileURLToPath(scriptUrl);
  let parsed;
  try {
    parsed = parseArgs({ ...config, options: { ...config.options, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    const usage = headerComment(file)
      .split('\n')
      .filter((l) => /node scripts\//.test(l))
      .map((l) => l.replace(/^.*?(node scripts\/)/, '  $1'));
    process.stderr.write(`${e.message}\n${usage.length ? `usage:\n${usage.join('\n')}\n` : ''}(--help for more)\n`);
    process.exit(2);
  }
  if (parsed.values.help) {
    process.stdout.write(`${headerComment(file)}\n`);
    process.exit(0);
  }
  return parsed;
}
