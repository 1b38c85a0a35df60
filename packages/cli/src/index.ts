/** @vaeflow/cli — the `vaeflow` command, also usable as a library. */
export { program, run } from './main.js';
export { trainCommand, type TrainCommandOptions, type TrainCommandResult } from './commands/train.js';
export { validateCommand, schemaCommand } from './commands/validate.js';
export { pluginsCommand, findInstalledPlugins, registryOfInstalledPlugins } from './commands/plugins.js';
export { sampleCommand } from './commands/sample.js';
export { loadManifest, readJsonFile } from './manifest-file.js';
export { loadRun, type LoadedRun } from './run-folder.js';
export { evalCommand, type EvalOptions } from './commands/eval.js';
export { compareCommand } from './commands/compare.js';
export { sweepCommand, sweepStatusCommand, sweepReportCommand, workerCommand, SWEEP_VERSION, type SweepCommandOptions } from './commands/sweep.js';
