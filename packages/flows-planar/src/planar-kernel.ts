import { tf } from '@vaeflow/core';

/**
 * The sequential part of K planar layers as one differentiable op computed on the host:
 *   a_k = w_k.z_{k-1} + b_k,  t_k = tanh(a_k),  z_k = z_{k-1} + u_hat_k t_k,
 *   log|det| = sum_k log(|1 + (1 - t_k^2) w_k.u_hat_k| + 1e-12),
 * with the gradient of every input written out (reverse over k):
 *   g_arg = g_logdet sign(arg) / (|arg| + 1e-12),  arg_k = 1 + (1 - t_k^2) w_k.u_hat_k
 *   g_t = g_arg (-2 t wu) + g_z.u_hat,  g_a = g_t (1 - t^2)
 *   g_u_hat += g_z t + g_arg (1 - t^2) w,  g_w += g_arg (1 - t^2) u_hat + g_a z_{k-1},  g_b += g_a
 *   g_z <- g_z + g_a w.
 * A deep stack (Rezende & Mohamed's K = 80) is about 10 small tensor kernels a layer, forward
 * and backward, at widths where each kernel's fixed cost outweighs its arithmetic (a few hundred
 * thousand multiply-adds for a batch); here it is two loops in float64.
 *
 * z [B, L]; uHat, w [K, P, L] and b [K, P, 1] with P = B (amortised: parameters per example) or
 * P = 1 (global parameters). Returns [B, L + 1]: z_K, then the log-determinant.
 */
export function planarLayers(z: tf.Tensor2D, uHat: tf.Tensor3D, w: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor2D {
  const op = tf.customGrad(((zIn: tf.Tensor, uIn: tf.Tensor, wIn: tf.Tensor, bIn: tf.Tensor) => {
    const [B, L] = zIn.shape;
    const [K, P] = uIn.shape;
    const s: PlanarState = {
      B,
      L,
      K,
      P,
      u: uIn.dataSync() as Float32Array,
      w: wIn.dataSync() as Float32Array,
      b: bIn.dataSync() as Float32Array,
      zs: new Float64Array((K + 1) * B * L),
      ts: new Float64Array(K * B),
      wus: new Float64Array(K * P),
    };
    s.zs.set(zIn.dataSync());
    return {
      value: tf.tensor2d(planarForward(s), [B, L + 1]),
      gradFunc: (dy: tf.Tensor) => {
        const g = planarBackward(s, dy.dataSync() as Float32Array);
        return [tf.tensor2d(g.z, [B, L]), tf.tensor3d(g.u, [K, P, L]), tf.tensor3d(g.w, [K, P, L]), tf.tensor3d(g.b, [K, P, 1])];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(z, uHat, w, b) as tf.Tensor2D;
}

/** The inputs and what the forward pass keeps for the backward: zs = z_0 .. z_K ([B, L] each), t_k per example, w_k.u_hat_k per parameter row. */
interface PlanarState {
  B: number;
  L: number;
  K: number;
  P: number;
  u: Float32Array;
  w: Float32Array;
  b: Float32Array;
  zs: Float64Array;
  ts: Float64Array;
  wus: Float64Array;
}

/** z_K and the log-determinant as [B, L + 1] (module-level loops, so V8 optimises them once). */
function planarForward(s: PlanarState): Float32Array {
  const { B, L, K, P, u, w, b, zs, ts, wus } = s;
  for (let r = 0; r < K * P; r++) {
    let acc = 0;
    for (let l = 0; l < L; l++) acc += w[r * L + l] * u[r * L + l];
    wus[r] = acc;
  }
  const logDet = new Float64Array(B);
  for (let k = 0; k < K; k++)
    for (let i = 0; i < B; i++) {
      const row = k * P + (P === 1 ? 0 : i);
      const par = row * L;
      const from = (k * B + i) * L;
      const to = from + B * L;
      let a = b[row];
      for (let l = 0; l < L; l++) a += w[par + l] * zs[from + l];
      const t = Math.tanh(a);
      ts[k * B + i] = t;
      for (let l = 0; l < L; l++) zs[to + l] = zs[from + l] + u[par + l] * t;
      logDet[i] += Math.log(Math.abs(1 + (1 - t * t) * wus[row]) + 1e-12);
    }
  const out = new Float32Array(B * (L + 1));
  for (let i = 0; i < B; i++) {
    for (let l = 0; l < L; l++) out[i * (L + 1) + l] = zs[(K * B + i) * L + l];
    out[i * (L + 1) + L] = logDet[i];
  }
  return out;
}

/** The gradients of z_0, u_hat, w and b from the gradient dy [B, L + 1] of the forward's output. */
function planarBackward(s: PlanarState, dy: Float32Array): { z: Float32Array; u: Float32Array; w: Float32Array; b: Float32Array } {
  const { B, L, K, P, u, w, zs, ts, wus } = s;
  const gz = new Float64Array(B * L);
  for (let i = 0; i < B; i++) for (let l = 0; l < L; l++) gz[i * L + l] = dy[i * (L + 1) + l];
  const gu = new Float64Array(K * P * L);
  const gw = new Float64Array(K * P * L);
  const gb = new Float64Array(K * P);
  for (let k = K - 1; k >= 0; k--)
    for (let i = 0; i < B; i++) {
      const row = k * P + (P === 1 ? 0 : i);
      const par = row * L;
      const prev = (k * B + i) * L;
      const zi = i * L;
      const t = ts[k * B + i];
      const wu = wus[row];
      const arg = 1 + (1 - t * t) * wu;
      const gArg = (dy[i * (L + 1) + L] * Math.sign(arg)) / (Math.abs(arg) + 1e-12);
      const gWu = gArg * (1 - t * t);
      let gt = gArg * -2 * t * wu;
      for (let l = 0; l < L; l++) gt += gz[zi + l] * u[par + l];
      const ga = gt * (1 - t * t);
      gb[row] += ga;
      for (let l = 0; l < L; l++) {
        gu[par + l] += gz[zi + l] * t + gWu * w[par + l];
        gw[par + l] += gWu * u[par + l] + ga * zs[prev + l];
        gz[zi + l] += ga * w[par + l];
      }
    }
  return { z: Float32Array.from(gz), u: Float32Array.from(gu), w: Float32Array.from(gw), b: Float32Array.from(gb) };
}
