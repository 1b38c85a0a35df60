// The aggregate posterior q(z) = (1/M) sum_j q(z|x_j) of diagonal Gaussian posteriors: its components and its density.
import { LOG_2PI, tf, type DataSplit, type VAE } from '@vaeflow/core';

/** Diagonal Gaussian mixture components: M x L means and log-scales, row-major. */
export interface PosteriorComponents {
  mean: Float32Array;
  logScale: Float32Array;
}

/** The diagonal Gaussian posteriors q(z|x_j) of the split's first M examples. */
export function posteriorComponents(model: VAE, split: DataSplit, dim: number, M = split.n): PosteriorComponents {
  if (model.flows.length) throw new Error('the aggregate-posterior density needs a posterior without flows');
  const L = model.latentDim;
  const m = Math.min(M, split.n);
  const mean = new Float32Array(m * L);
  const logScale = new Float32Array(m * L);
  for (let from = 0; from < m; from += 1000) {
    const to = Math.min(m, from + 1000);
    tf.tidy(() => {
      const q = model.posterior.distribution(model.encoder.encode(tf.tensor2d(split.x.subarray(from * dim, to * dim), [to - from, dim]), false));
      if (!q.logScale) throw new Error('the aggregate-posterior density needs a diagonal Gaussian posterior');
      mean.set(q.mean.dataSync() as Float32Array, from * L);
      logScale.set(q.logScale.dataSync() as Float32Array, from * L);
    });
  }
  return { mean, logScale };
}

/**
 * log q(z) = log (1/M) sum_j N(z; mean_j, diag(exp(2 logScale_j))), the mixture of the given
 * components, for each row of z. From the differences (z - mean) / scale, not the quadratic
 * expanded into matrix products: that is faster but cancels catastrophically in float32 once the
 * scales are small.
 */
export function mixtureLogDensity(components: PosteriorComponents, z: Float32Array, L: number): Float64Array {
  const M = components.mean.length / L;
  const mean = tf.tensor3d(components.mean, [1, M, L]);
  const logScale = tf.tensor3d(components.logScale, [1, M, L]);
  const logNorm = tf.tidy(() => tf.add(tf.reshape(tf.sum(logScale, 2), [1, M]), (L * LOG_2PI) / 2));
  const n = z.length / L;
  const out = new Float64Array(n);
  // rows per chunk so that a chunk's n x M x L intermediates stay near 4M numbers
  const rows = Math.max(1, Math.floor(4e6 / (M * L)));
  for (let from = 0; from < n; from += rows) {
    const to = Math.min(n, from + rows);
    const v = tf.tidy(() => {
      const zz = tf.reshape(tf.tensor2d(z.subarray(from * L, to * L), [to - from, L]), [to - from, 1, L]);
      const eps = tf.mul(tf.sub(zz, mean), tf.exp(tf.neg(logScale)));
      const comp = tf.sub(tf.mul(-0.5, tf.sum(tf.square(eps), 2)), logNorm);
      return tf.sub(tf.logSumExp(comp, 1), Math.log(M)).dataSync();
    });
    for (let i = 0; i < v.length; i++) out[from + i] = v[i];
  }
  tf.dispose([mean, logScale, logNorm]);
  return out;
}

/**
 * The aggregate posterior density log q(z) = log mean_j q(z|x_j) over the split's first
 * `components` examples (all of them by default), for diagonal Gaussian posteriors without flows
 * (the dpVAE setting).
 */
export function aggregatePosteriorLogDensity(model: VAE, split: DataSplit, dim: number, z: Float32Array, components = split.n): Float64Array {
  return mixtureLogDensity(posteriorComponents(model, split, dim, components), z, model.latentDim);
}
