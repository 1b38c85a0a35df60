import { Command, InvalidArgumentError, Option } from 'commander';
import { BACKEND_REQUESTS, ManifestError, PluginError, type BackendRequest } from '@vaeflow/core';
import { trainCommand, type TrainCommandOptions } from './commands/train.js';
import { validateCommand, schemaCommand } from './commands/validate.js';
import { pluginsCommand } from './commands/plugins.js';
import { sampleCommand } from './commands/sample.js';
import { evalCommand, type EvalOptions } from './commands/eval.js';
import { compareCommand } from './commands/compare.js';
import { VERSION } from './version.js';

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

const backendOption = () => new Option('--backend <name>', 'tensor backend (auto: tfjs-node, native, wasm, cpu, the first that loads)').choices([...BACKEND_REQUESTS]);
const threadsOption = () => new Option('--threads <n>', 'threads for the native kernels (default: VAEFLOW_THREADS, else all cores; give 1 per process when several share the machine)').argParser(positiveInt);

/** Builds the `vaeflow` program; `run` parses argv and sets the exit code. */
export function program(): Command {
  const p = new Command('vaeflow').description('VAEs with normalizing flows on TensorFlow.js').version(VERSION).showHelpAfterError();
  p.command('train <manifest>')
    .description('train a model described by a JSON manifest; writes runs/<name>/')
    .option('--out <dir>', 'run folder (default runs/<name>)')
    .option('--epochs <n>', 'override training.epochs', positiveInt)
    .option('--steps-per-epoch <n>', 'cap optimisation steps per epoch (quick runs)', positiveInt)
    .option('--limit-train <n>', 'use at most n training examples (quick runs)', positiveInt)
    .option('--limit-test <n>', 'use at most n test examples (quick runs)', positiveInt)
    .addOption(backendOption())
    .addOption(threadsOption())
    .option('--resume', 'continue from the run folder\'s latest checkpoint')
    .action(async (file: string, o: TrainCommandOptions) => {
      await trainCommand(file, o);
    });
  p.command('validate <manifest>')
    .description('check a manifest; exit 0 when valid, 1 with located errors')
    .action(async (file: string) => {
      const r = await validateCommand(file);
      (r.ok ? process.stdout : process.stderr).write(r.text + '\n');
      process.exitCode = r.ok ? 0 : 1;
    });
  p.command('plugins')
    .description('list installed plugins, their versions and component types')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      process.stdout.write((await pluginsCommand(o)) + '\n');
    });
  p.command('schema')
    .description('print the manifest JSON schema for what is installed')
    .action(async () => {
      process.stdout.write((await schemaCommand()) + '\n');
    });
  p.command('sample <run>')
    .description('draw samples from a trained model into a PNG grid')
    .option('--n <n>', 'number of samples', positiveInt, 64)
    .option('--out <file>', 'output PNG')
    .option('--seed <n>', 'sampling seed', (v: string) => Number(v), 0)
    .addOption(backendOption())
    .action(async (run: string, o: { n: number; out?: string; seed: number; backend?: BackendRequest }) => {
      process.stdout.write((await sampleCommand(run, o)) + '\n');
    });
  p.command('eval <run>')
    .description('importance-sampled NLL, bits/dim, reconstruction error (and --fcd); writes <run>/eval.json')
    .option('--k <k>', 'importance samples per data point', positiveInt, 1000)
    .option('--limit <n>', 'evaluate the first n examples of the split', positiveInt)
    .option('--max-rows <n>', 'model evaluations per pass (examples x samples); bounds memory, which the wasm heap limits to a few GB', positiveInt, 1024)
    .addOption(new Option('--split <split>', 'data split').choices(['test', 'val']).default('test'))
    .option('--fcd', 'also the Frechet classifier distance (trains a classifier once per dataset)')
    .addOption(backendOption())
    .addOption(threadsOption())
    .action(async (run: string, o: EvalOptions) => {
      const r = await evalCommand(run, o);
      process.stdout.write(JSON.stringify(r, null, 2) + '\n');
    });
  p.command('compare <runs...>')
    .description('write one self-contained HTML report comparing runs')
    .requiredOption('--out <file>', 'HTML file to write')
    .option('--title <title>', 'page title')
    .addOption(backendOption())
    .action(async (runs: string[], o: { out: string; title?: string; backend?: BackendRequest }) => {
      process.stdout.write((await compareCommand(runs, o)) + '\n');
    });
  return p;
}

export async function run(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (e) {
    if (e instanceof ManifestError || e instanceof PluginError) {
      process.stderr.write(e.message + '\n');
      process.exitCode = 1;
      return;
    }
    process.stderr.write(`vaeflow: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 2;
  }
}
