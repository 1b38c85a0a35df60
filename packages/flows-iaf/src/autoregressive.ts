import { AffineBijection, AutoregressiveFlow, type AffineForm, type Random } from '@vaeflow/core';

/** How MADE's outputs (m, s) become an elementwise affine map y = a * z + c (see core's AffineBijection). */
export type AutoregressiveForm = AffineForm;

export interface AutoregressiveOptions {
  hidden: number[];
  contextDim: number;
  form: AutoregressiveForm;
  /** initial bias of s: the gate sigmoid(s) starts near 1 (Kingma et al. 2016 use +1 or +2) */
  gateBias: number;
  /** reverse the variable order (alternate this between stacked steps) */
  reverse: boolean;
}

/**
 * Inverse autoregressive flow step (Kingma et al. 2016, arXiv 1606.04934): core's autoregressive
 * shell with the affine bijection T(z)_i = a_i z_i + c_i, (a_i, c_i) from MADE(z_<i, h):
 *   gated  (IAF paper, eq. 14): sigma = sigmoid(s), T(z) = sigma z + (1 - sigma) m, log|det| = sum log sigma;
 *   affine (the poster's form): T(z) = m + exp(s) z, log|det| = sum s.
 * Forward (sampling) is one MADE pass; the inverse takes L.
 *   log q(z_t|x) = log q(z_{t-1}|x) - sum_i log a_i.
 */
export class IAFStep extends AutoregressiveFlow {
  constructor(dim: number, rng: Random, o: AutoregressiveOptions) {
    super(dim, rng, new AffineBijection(o.form, o.form === 'gated' ? o.gateBias : 0), { hidden: o.hidden, contextDim: o.contextDim, reverse: o.reverse, direction: 'iaf' });
  }
}

/**
 * Masked autoregressive flow step (Papamakarios et al. 2017, arXiv 1705.07057): the same
 * transform used the other way round. Its inverse (the density direction, data -> noise) is
 * T, one MADE pass; its forward (sampling) direction is T^-1, L passes. As a prior, p(z) is
 * evaluated through the fast inverse.
 */
export class MAFStep extends AutoregressiveFlow {
  constructor(dim: number, rng: Random, o: AutoregressiveOptions) {
    super(dim, rng, new AffineBijection(o.form, o.form === 'gated' ? o.gateBias : 0), { hidden: o.hidden, contextDim: o.contextDim, reverse: o.reverse, direction: 'maf' });
  }
}
