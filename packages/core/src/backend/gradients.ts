/**
 * Registers TensorFlow.js's gradient functions. tfjs-core's Node bundle ships ops without
 * gradients, and its ESM gradient files cannot be loaded by Node directly; tfjs-layers' Node
 * bundle registers every gradient into the (global) registry of the one tfjs-core copy as a
 * side effect of being loaded, which is the supported way outside the `@tensorflow/tfjs`
 * union package.
 */
import '@tensorflow/tfjs-layers';
import { getGradient, registerGradient, zeros, type Tensor } from '@tensorflow/tfjs-core';

/**
 * Comparisons and logical ops are piecewise constant: their gradient is zero. tfjs defines it for
 * GreaterEqual only, so a flow that selects with `tf.where(tf.less(...), ...)` (a spline's
 * tails) failed in autodiff with "gradient function not found for Less". Registered here for
 * the rest, unless a later tfjs brings its own.
 */
for (const [kernelName, inputs] of [
  ['Less', ['a', 'b']],
  ['LessEqual', ['a', 'b']],
  ['Greater', ['a', 'b']],
  ['Equal', ['a', 'b']],
  ['NotEqual', ['a', 'b']],
  ['LogicalAnd', ['a', 'b']],
  ['LogicalOr', ['a', 'b']],
  ['LogicalNot', ['x']],
] as const) {
  if (getGradient(kernelName)) continue;
  registerGradient({
    kernelName,
    inputsToSave: [...inputs],
    // float32 zeros even for the logical ops' bool inputs, as the tape requires
    gradFunc: (_dy: Tensor | Tensor[], saved: Tensor[]) => Object.fromEntries(inputs.map((name, i) => [name, () => zeros(saved[i].shape)])),
  });
}
