import { Command, InvalidArgumentError, Option } from 'commander';
import { BACKEND_REQUESTS, ManifestError, PluginError, UserError, userErrorFromSystem, userErrorFromWasmHeap, type BackendRequest } from '@vaeflow/core';
import { trainCommand, type TrainCommandOptions } from './commands/train.js';
import { validateCommand, schemaCommand } from './commands/validate.js';
import { pluginsCommand } from './commands/plugins.js';
import { sampleCommand } from './commands/sample.js';
import { evalCommand, type EvalOptions } from './commands/eval.js';
import { compareCommand } from './commands/compare.js';
import { exportCommand, type ExportOptions } from './commands/export.js';
import type * as WebLib from '@vaeflow/web';
import { sweepCommand, sweepReportCommand, sweepStatusCommand, workerCommand, type SweepCommandOptions } from './commands/sweep.js';
import { VERSION } from './version.js';
import { requireOptional } from './optional.js';
import type * as SweepLib from '@vaeflow/sweep';

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

const backendOption = () => new Option('--backend <name>', 'tensor backend (auto: tfjs-node, native, wasm, cpu, the first that loads)').choices([...BACKEND_REQUESTS]);
const threadsOption = () =>
  new Option('--threads <n>', 'threads for the native kernels (default: VAEFLOW_THREADS, else all cores; give 1 per process when several share the machine)').argParser(positiveInt);

/** Builds the `vaeflow` program; `run` parses argv and sets the exit code. */
export function program(): Command {
  const p = new Command('vaeflow')
    .description('VAEs with normalizing flows on TensorFlow.js')
    .version(VERSION)
    .showHelpAfterError()
    .option('--debug', 'print the stack trace of every error')
    .option(
      '--trust-plugins',
      "import plugin files from anywhere, including those a run folder names (default: packages installed in the project, and plugin files inside the project or the manifest's folder)",
    );
  p.command('train <manifest>')
    .description('train a model described by a JSON manifest (or continue a run folder with --resume); writes runs/<name>/')
    .option('--out <dir>', 'run folder (default runs/<name>); a folder that holds anything needs --resume or --force')
    .option('--epochs <n>', 'override training.epochs', positiveInt)
    .option('--steps-per-epoch <n>', 'cap optimisation steps per epoch (quick runs)', positiveInt)
    .option('--limit-train <n>', 'use at most n training examples (quick runs)', positiveInt)
    .option('--limit-test <n>', 'use at most n test examples (quick runs)', positiveInt)
    .addOption(backendOption())
    .addOption(threadsOption())
    .option('--resume', "continue from the run folder's latest checkpoint, with the run's own manifest")
    .option('--force', 'replace the run in the folder (removes its checkpoints, samples and metrics)')
    .addOption(new Option('--progress-json', 'progress as JSON lines on stdout (for sweep workers)').hideHelp())
    .addOption(new Option('--exit-with-parent', 'exit when stdin closes (for sweep workers)').hideHelp())
    .action(async (file: string, o: TrainCommandOptions) => {
      await trainCommand(file, o);
    });
  p.command('validate <manifest>')
    .description('check a manifest; exit 0 when valid, 1 with located errors')
    .action(async (file: string) => {
      const r = await validateCommand(file);
      (r.ok ? process.stdout : process.stderr).write(`${r.text}\n`);
      process.exitCode = r.ok ? 0 : 1;
    });
  p.command('plugins')
    .description('list installed plugins, their versions and component types')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      process.stdout.write(`${await pluginsCommand(o)}\n`);
    });
  p.command('schema [manifest]')
    .description('print the manifest JSON schema for what is installed and the plugins a manifest names (--sweep: the sweep file schema)')
    .option('--sweep', 'the schema of sweep files instead')
    .action(async (manifest: string | undefined, o: { sweep?: boolean }) => {
      process.stdout.write(`${o.sweep ? JSON.stringify(requireOptional<typeof SweepLib>('@vaeflow/sweep', 'vaeflow schema --sweep').sweepSchema(), null, 2) : await schemaCommand(manifest)}\n`);
    });
  p.command('sample <run>')
    .description('draw samples from a trained model into a PNG grid')
    .option('--n <n>', 'number of samples', positiveInt, 64)
    .option('--out <file>', 'output PNG')
    .option('--seed <n>', 'sampling seed', (v: string) => Number(v), 0)
    .option('--ex-post-gmm <k>', 'sample latents from a K-component Gaussian mixture fitted to the training codes instead of the prior (an ex-post density, as RAE and pythae)', positiveInt)
    .option('--label <class>', 'conditional models: draw every sample of this class (its index, or its name such as "Trouser"); without it, one row per class')
    .addOption(backendOption())
    .action(async (run: string, o: { n: number; out?: string; seed: number; exPostGmm?: number; label?: string; backend?: BackendRequest }) => {
      process.stdout.write(`${await sampleCommand(run, o)}\n`);
    });
  p.command('eval <run>')
    .description('importance-sampled NLL, bits/dim, reconstruction error, active units, ELBO surgery (and --fcd, --ais, --bdmc, --gaps); writes <run>/eval.json')
    .option('--k <k>', 'importance samples per data point', positiveInt, 1000)
    .option('--limit <n>', 'evaluate the first n examples of the split', positiveInt)
    .option('--max-rows <n>', 'model evaluations per pass (examples x samples); bounds memory, which the wasm heap limits to a few GB', positiveInt, 1024)
    .addOption(new Option('--split <split>', 'data split').choices(['test', 'val']).default('test'))
    .option('--fcd', 'also the Frechet classifier distance (trains a classifier once per dataset)')
    .option('--ais <steps>', 'also annealed importance sampling with this many steps (a tighter lower bound) on the first --ais-limit examples', positiveInt)
    .option('--ais-limit <n>', 'examples AIS runs on', positiveInt, 100)
    .option(
      '--gaps <n>',
      'also split the inference gap (approximation and amortisation, Cremer et al. 2018) on the first n examples, fitting each posterior by optimisation; log p(x) from AIS when --ais is given',
      positiveInt,
    )
    .option('--bdmc <n>', 'also bidirectional Monte Carlo on n examples simulated from the model (AIS lower and upper bounds, --ais steps)', positiveInt)
    .option('--ex-post-gmm <k>', 'also the NLL with the prior replaced by a K-component Gaussian mixture fitted to the training codes (the ex-post density of RAE and pythae)', positiveInt)
    .addOption(backendOption())
    .addOption(threadsOption())
    .action(async (run: string, o: EvalOptions) => {
      const { result, notWritten } = await evalCommand(run, o);
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      if (notWritten) throw notWritten;
      if (typeof result.nll !== 'number' || !Number.isFinite(result.nll))
        throw new UserError(
          `the importance-sampled NLL of ${run} is not finite (${result.nonFiniteExamples ? `examples ${(result.nonFiniteExamples as number[]).join(', ')}` : 'see eval.json'}): the model or its estimator gives non-finite log-densities`,
        );
    });
  p.command('compare <runs...>')
    .description('write one self-contained HTML report comparing runs (or the runs of one sweep folder, grouped by configuration)')
    .requiredOption('--out <file>', 'HTML file to write')
    .option('--title <title>', 'page title')
    .addOption(backendOption())
    .action(async (runs: string[], o: { out: string; title?: string; backend?: BackendRequest }) => {
      process.stdout.write(`${await compareCommand(runs, o)}\n`);
    });
  p.command('export <run>')
    .description(
      'write a static page where the trained model samples, traverses latents, interpolates and reconstructs drawings live in the browser (TensorFlow.js, WebGL or wasm); default <run>/page',
    )
    .option('--out <dir>', 'folder to write (default <run>/page)')
    .option('--examples <n>', 'test examples shipped for interpolation and the latent scatter', positiveInt, 1000)
    .addOption(new Option('--checkpoint <which>', 'checkpoint to export').choices(['best', 'latest']).default('best'))
    .option('--no-minify', 'keep the page script readable')
    .addOption(backendOption())
    .action(async (run: string, o: ExportOptions) => {
      process.stdout.write(`${(await exportCommand(run, o)).outDir}\n`);
    });
  p.command('serve <dir>')
    .description('serve an exported page folder on loopback (or --host) until interrupted')
    .option('--port <n>', 'port', (v: string) => Number(v), 8080)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .action(async (dir: string, o: { port: number; host: string }) => {
      const { url } = await requireOptional<typeof WebLib>('@vaeflow/web', 'vaeflow serve').servePage(dir, o.port, o.host);
      process.stdout.write(`${url}\n`);
    });
  p.command('sweep <file-or-action> [target]')
    .description('run a sweep file (configurations x seeds) with a local pool or a Redis queue; `sweep status <file|folder>` and `sweep report <file|folder>` follow it')
    .option('--workers <n>', 'local worker processes (default: the number of cores)', positiveInt)
    .addOption(threadsOption())
    .option('--out <dir>', "sweep folder (default: the sweep file's out, else runs/sweeps/<name>)")
    .option('--queue <url>', 'queue the runs on Redis (redis://host:port) for `vaeflow worker`s instead of running them here')
    .option('--queue-name <name>', 'BullMQ queue name', 'vaeflow-runs')
    .option('--dry-run', 'list the runs and their overrides; write nothing')
    .option('--only <runs...>', 'run or queue only these runs (run names, configuration names, or patterns with *, e.g. "*-s1")')
    .option('--md <file>', 'report: write the markdown tables to this file')
    .option('--html <file>', 'report: write the HTML report to this file')
    .option('--baseline <configuration>', 'report: the configuration paired differences are taken against')
    .option('--json', 'status: machine-readable output')
    .action(async (first: string, target: string | undefined, o: SweepCommandOptions & { md?: string; html?: string; baseline?: string; json?: boolean }) => {
      if (first === 'status' || first === 'report') {
        if (!target) throw new InvalidArgumentError(`vaeflow sweep ${first} needs a sweep file or folder`);
        const text = first === 'status' ? await sweepStatusCommand(target, o) : await sweepReportCommand(target, o);
        process.stdout.write(`${text}\n`);
        return;
      }
      if (target) throw new InvalidArgumentError(`unexpected argument "${target}": vaeflow sweep <file> runs a sweep; status and report take a file or folder`);
      const r = await sweepCommand(first, o);
      process.stdout.write(`${r.summary}\n`);
      if (r.failed) process.exitCode = 1;
    });
  p.command('worker')
    .description('take queued sweep runs from Redis, one at a time, until stopped (SIGINT/SIGTERM)')
    .requiredOption('--queue <url>', 'Redis address, redis://host:port')
    .option('--queue-name <name>', 'BullMQ queue name', 'vaeflow-runs')
    .option('--threads <n>', 'native-kernel threads per run (default 1)', positiveInt)
    .option('--lock-seconds <s>', 'a job whose worker stops renewing its lock this long is handed to another worker', positiveInt)
    .action(async (o: { queue: string; threads?: number; queueName?: string; lockSeconds?: number }) => {
      await workerCommand(o);
    });
  return p;
}

/**
 * Runs the CLI. A user's mistake (a bad manifest, a missing plugin or run, a damaged checkpoint,
 * a full or read-only disk, a diverged training) is one line on stderr and exit code 1; anything
 * else is a bug in vaeflow: its stack trace and exit code 2. --debug (or VAEFLOW_DEBUG=1) prints
 * the stack trace of every error.
 */
export async function run(argv: string[]): Promise<void> {
  const debug = argv.includes('--debug') || process.env.VAEFLOW_DEBUG === '1';
  if (argv.includes('--trust-plugins')) process.env.VAEFLOW_TRUST_PLUGINS = '1';
  try {
    await program().parseAsync(argv);
  } catch (e) {
    const err = e as Error | undefined;
    const user =
      e instanceof ManifestError || e instanceof PluginError || e instanceof UserError || err?.name === 'SweepError' || err?.name === 'UserError' || err?.message?.startsWith('cannot reach Redis')
        ? err
        : (userErrorFromSystem(e) ?? userErrorFromWasmHeap(e));
    if (user) {
      // Manifest, plugin, sweep and queue errors name their own source; the others say it is vaeflow.
      const named = user instanceof ManifestError || user instanceof PluginError || user.name === 'SweepError' || user.message.startsWith('cannot reach Redis');
      process.stderr.write(`${named ? '' : 'vaeflow: '}${user.message}\n`);
      if (debug) process.stderr.write(`${err?.stack ?? e}\n`);
      process.exitCode = 1;
      return;
    }
    process.stderr.write(`vaeflow: ${err?.stack ?? e}\n`);
    process.exitCode = 2;
  }
}
