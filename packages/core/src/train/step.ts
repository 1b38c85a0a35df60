import * as tf from '@tensorflow/tfjs-core';
import type { Objective, TrainingProgress } from '../interfaces.js';
import type { LatentModel } from '../interfaces.js';
import type { Random } from '../random.js';
import { globalNorm } from '../math.js';
import { appliesScaledGradients } from './adam.js';

export interface StepOutcome {
  /** false when the loss or the gradient norm was not finite; no update was applied */
  ok: boolean;
  loss: number;
  gradNorm: number;
  /** the objective's terms, per-example means */
  terms: [string, number][];
}

/**
 * One optimisation step: the loss and its gradients with respect to every trainable variable,
 * the global gradient norm, clipping to `clipNorm`, decoupled weight decay (AdamW) where asked, and
 * the optimiser update, all skipped when the loss or the norm is not finite. Every intermediate tensor is freed before it returns.
 */
export function createTrainStep(model: LatentModel, objective: Objective, optimizer: tf.Optimizer, clipNorm: number | null, decay?: { weightDecay: number; learningRate: () => number }) {
  const vars = model.trainableVariables();
  return (batch: Float32Array, batchSize: number, progress: TrainingProgress, rng: Random): StepOutcome => {
    const dim = batch.length / batchSize;
    let outcome: StepOutcome = { ok: false, loss: NaN, gradNorm: NaN, terms: [] };
    tf.tidy(() => {
      const x = tf.tensor2d(batch, [batchSize, dim]);
      let terms: Record<string, tf.Scalar> = {};
      const { value, grads } = tf.variableGrads(() => {
        const r = objective.modelLoss ? objective.modelLoss(model, x, rng, progress, true) : objective.loss(model.terms(x, rng, true), progress, true, { prior: model.prior, rng });
        // variableGrads disposes everything f made but the loss; keep the terms to read them.
        terms = Object.fromEntries(Object.entries(r.terms).map(([k, v]) => [k, tf.keep(v)]));
        return r.loss;
      }, vars);
      const gradList = vars.map((v) => grads[v.name]);
      const stats = tf.stack([value, globalNorm(gradList), ...Object.values(terms)]).dataSync();
      for (const v of Object.values(terms)) v.dispose();
      const [loss, gradNorm] = [stats[0], stats[1]];
      outcome = { ok: Number.isFinite(loss) && Number.isFinite(gradNorm), loss, gradNorm, terms: Object.keys(terms).map((k, i) => [k, stats[i + 2]]) };
      if (!outcome.ok) return;
      const scale = clipNorm != null && gradNorm > clipNorm ? clipNorm / gradNorm : 1;
      // Decoupled weight decay (AdamW): x <- x (1 - lr lambda), from the pre-update weights.
      if (decay && decay.weightDecay > 0) {
        const keep = 1 - decay.learningRate() * decay.weightDecay;
        for (const v of vars) v.assign(tf.mul(v, keep));
      }
      if (appliesScaledGradients(optimizer))
        optimizer.applyScaledGradients(
          vars.map((v, i) => ({ name: v.name, tensor: gradList[i] })),
          scale,
        );
      else optimizer.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: scale === 1 ? gradList[i] : tf.mul(gradList[i], scale) })));
    });
    if (outcome.ok) {
      model.afterStep();
      objective.afterStep?.(progress);
    }
    return outcome;
  };
}
