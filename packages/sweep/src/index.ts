/**
 * @vaeflow/sweep — configurations x seeds from one JSON file: planned into deterministic run
 * folders, run by a local pool of worker processes or by BullMQ workers over Redis on many
 * machines, and reported with means, 95% intervals and paired differences.
 */
export {
  planSweep,
  writePlan,
  selectRuns,
  readSweepFile,
  readSavedSweep,
  sweepSchema,
  setPointer,
  canonical,
  SweepError,
  type SweepFile,
  type SweepPlan,
  type RunPlan,
  type SavedSweep,
  type SweepEval,
} from './plan';
export { runOne, runStatus, isDone, RunHeldError, type RunnerOptions, type RunState, type RunStatus } from './runner';
export { runPool, type PoolOptions, type PoolResult } from './pool';
export { enqueueSweep, startWorker, sweepStatus, checkRedis, DEFAULT_QUEUE, type EnqueueResult, type WorkerOptions, type QueuedRunStatus, type JobData } from './queue';
export { summarizeSweep, sweepMarkdown, formatEstimate, estimate, tQuantile975, collectResults, SWEEP_METRICS, type SweepSummary, type Estimate, type RunResult } from './report';
