/** A learning-rate schedule, as the manifest's `training.schedule` gives it (defaults filled). */
export interface ScheduleOptions {
  /** linear warm-up from base / warmupSteps to the base rate over the first steps (0: none) */
  warmupSteps: number;
  /** after warm-up: `none` (constant), `step` (x factor every stepEvery steps), `cosine` (to minLearningRate at the last step), `plateau` (x factor after `patience` epochs without a validation improvement) */
  decay: 'none' | 'step' | 'cosine' | 'plateau';
  factor: number;
  stepEvery: number;
  patience: number;
  minLearningRate: number;
}

export const DEFAULT_SCHEDULE: ScheduleOptions = { warmupSteps: 0, decay: 'none', factor: 0.5, stepEvery: 10000, patience: 5, minLearningRate: 0 };

/**
 * The learning rate for optimisation step `step` (0-based) of `totalSteps`:
 *   warm-up (step < W): base (step + 1) / W;
 *   step:    base factor^floor((step - W) / stepEvery);
 *   cosine:  min + (base - min) (1 + cos(pi (step - W) / (totalSteps - W))) / 2;
 *   plateau: base x plateauScale (the product of the factors applied so far, see {@link plateauUpdate});
 * every decay floored at minLearningRate. A pure function of the step (and the plateau state the
 * checkpoint keeps), so a resumed run follows the same rates.
 */
export function learningRateAt(base: number, s: ScheduleOptions, step: number, totalSteps: number, plateauScale = 1): number {
  if (step < s.warmupSteps) return (base * (step + 1)) / s.warmupSteps;
  const after = step - s.warmupSteps;
  let lr = base;
  if (s.decay === 'step') lr = base * s.factor ** Math.floor(after / s.stepEvery);
  else if (s.decay === 'cosine') {
    const progress = Math.min(1, after / Math.max(1, totalSteps - s.warmupSteps));
    lr = s.minLearningRate + (base - s.minLearningRate) * 0.5 * (1 + Math.cos(Math.PI * progress));
  } else if (s.decay === 'plateau') lr = base * plateauScale;
  return Math.max(lr, Math.min(base, s.minLearningRate));
}

/** Reduce-on-plateau state, kept in the checkpoint. */
export interface PlateauState {
  scale: number;
  best: number | null;
  bad: number;
}

/** After an epoch's validation loss: a new best resets the count; `patience` epochs without one multiply the scale by `factor`. */
export function plateauUpdate(p: PlateauState, valLoss: number, s: ScheduleOptions, minDelta = 0): PlateauState {
  if (p.best === null || valLoss < p.best - minDelta) return { scale: p.scale, best: valLoss, bad: 0 };
  const bad = p.bad + 1;
  return bad >= s.patience ? { scale: p.scale * s.factor, best: p.best, bad: 0 } : { scale: p.scale, best: p.best, bad };
}
