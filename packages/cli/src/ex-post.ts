import * as fs from 'node:fs';
import * as path from 'node:path';
import { GaussianMixturePrior, Random, rowDimOf, tf, writeFileAtomic } from '@vaeflow/core';
import type * as Metrics from '@vaeflow/metrics';
import { requireOptional } from './optional.js';
import type { LoadedRun } from './run-folder.js';

/**
 * The K-component diagonal Gaussian mixture fitted by EM to one draw z ~ q(z|x) per training
 * example (the code itself for a deterministic encoder), as a prior: an estimate of the aggregate
 * posterior q(z), the ex-post density of Ghosh et al. 2020 and pythae's GMM sampler. Fitted to
 * draws rather than encoder means, so that it also covers where the posteriors put mass (a
 * mixture of the means alone is far too narrow to score a VAE's samples). Cached in
 * `<run>/ex-post/gmm-K.json`, refitted when the checkpoint changes.
 */
export function exPostGmmPrior(run: LoadedRun, runDir: string, k: number, why: string, log: (line: string) => void): GaussianMixturePrior {
  const file = path.join(runDir, 'ex-post', `gmm-${k}.json`);
  const fittedTo = `posterior draws of ${run.checkpoint}@${fs.statSync(run.checkpoint).mtimeMs}`;
  if (fs.existsSync(file)) {
    const cached = JSON.parse(fs.readFileSync(file, 'utf8')) as Metrics.DiagonalGmm & { fittedTo?: string };
    if (cached.fittedTo === fittedTo) return GaussianMixturePrior.fromMixture(cached);
  }
  const metrics = requireOptional<typeof Metrics>('@vaeflow/metrics', why);
  const dim = rowDimOf(run.dataset);
  const L = run.model.latentDim;
  const n = run.dataset.train.n;
  const codes = new Float32Array(n * L);
  const rng = new Random(`ex-post-draws:${k}`);
  for (let from = 0; from < n; from += 500) {
    const to = Math.min(n, from + 500);
    codes.set(
      tf.tidy(() => run.model.terms(tf.tensor2d(run.dataset.train.x.subarray(from * dim, to * dim), [to - from, dim]), rng, false).z.dataSync() as Float32Array),
      from * L,
    );
  }
  const gmm = metrics.fitDiagonalGmm(codes, n, L, k, new Random(`ex-post-gmm:${k}`));
  log(
    `vaeflow: fitted a ${k}-component Gaussian mixture to ${n} posterior draws of the training set in ${gmm.iterations} EM iterations (mean log-likelihood ${gmm.logLikelihood.toFixed(3)}); cached in ${file}`,
  );
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, `${JSON.stringify({ ...gmm, fittedTo })}\n`);
  return GaussianMixturePrior.fromMixture(gmm);
}
