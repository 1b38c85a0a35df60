// A radial flow as a vaeflow plugin, written against @vaeflow/core's public API only.
//
//   f(z) = z + beta * h(alpha, r) * (z - z0),  r = |z - z0|,  h(alpha, r) = 1 / (alpha + r)
//   log|det df/dz| = (L - 1) log(1 + beta h) + log(1 + beta h + beta h'(alpha, r) r),  h' = -h^2
//
// Rezende & Mohamed (2015), arXiv 1505.05770, eq. 14 and appendix A.2. Invertibility needs
// beta >= -alpha, so alpha = softplus(a) and beta = -alpha + softplus(b). The inverse has a
// closed form: |y - z0| = r (1 + beta / (alpha + r)) is a quadratic in r.
import { BaseFlow, defineComponent, definePlugin, tf } from '@vaeflow/core';

export class RadialFlow extends BaseFlow {
  id = 'radial';
  invertible = true;

  constructor(dim, rng) {
    super(dim, false);
    this.z0 = this.addParam('z0', tf.mul(rng.normal([1, dim]), 0.5));
    this.a = this.addParam('a', tf.scalar(0.5));
    this.b = this.addParam('b', tf.scalar(0.5));
  }

  coefficients() {
    const alpha = tf.softplus(this.a);
    const beta = tf.add(tf.neg(alpha), tf.softplus(this.b));
    return { alpha, beta };
  }

  forward(z) {
    const { alpha, beta } = this.coefficients();
    const diff = tf.sub(z, this.z0);
    const r = tf.sqrt(tf.add(tf.sum(tf.square(diff), 1, true), 1e-12)); // [B, 1]
    const h = tf.div(1, tf.add(alpha, r));
    const bh = tf.mul(beta, h);
    const out = tf.add(z, tf.mul(bh, diff));
    const logDet = tf.add(tf.mul(this.dim - 1, tf.log1p(bh)), tf.log(tf.add(1, tf.sub(bh, tf.mul(tf.mul(beta, tf.square(h)), r)))));
    return { z: out, logDet: tf.reshape(logDet, [-1]) };
  }

  inverse(y) {
    const { alpha, beta } = this.coefficients();
    const diff = tf.sub(y, this.z0);
    const ry = tf.sqrt(tf.add(tf.sum(tf.square(diff), 1, true), 1e-12));
    // r^2 + (alpha + beta - ry) r - ry alpha = 0, the non-negative root
    const p = tf.sub(tf.add(alpha, beta), ry);
    const r = tf.div(tf.add(tf.neg(p), tf.sqrt(tf.add(tf.square(p), tf.mul(4, tf.mul(ry, alpha))))), 2);
    const h = tf.div(1, tf.add(alpha, r));
    const z = tf.add(this.z0, tf.div(diff, tf.add(1, tf.mul(beta, h))));
    const fwd = this.forward(z);
    return { z, logDet: tf.neg(fwd.logDet) };
  }
}

export const plugin = definePlugin({
  name: 'vaeflow-radial-flow',
  version: '1.0.0',
  components: [
    defineComponent({
      kind: 'flow',
      type: 'acme-radial',
      description: 'Radial flow z + beta (z - z0) / (alpha + |z - z0|) (Rezende & Mohamed 2015).',
      schema: { properties: {} },
      invertible: true,
      create: (_options, ctx) => new RadialFlow(ctx.latentDim, ctx.rng),
    }),
  ],
});

export default plugin;
