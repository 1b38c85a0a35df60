/**
 * Registers TensorFlow.js's gradient functions. tfjs-core's Node bundle ships ops without
 * gradients, and its ESM gradient files cannot be loaded by Node directly; tfjs-layers' Node
 * bundle registers every gradient into the (global) registry of the one tfjs-core copy as a
 * side effect of being loaded, which is the supported way outside the `@tensorflow/tfjs`
 * union package.
 */
import '@tensorflow/tfjs-layers';
import { cast, getGradient, mul, registerGradient, reshape, step, sum, zeros, type Tensor } from '@tensorflow/tfjs-core';

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

/**
 * Tile's gradient as one reduction: dy viewed with each tiled axis split into (reps, size), summed
 * over the reps axes. tfjs's own adds one slice of dy per repetition (500 Slice and 500 Add
 * kernels for a VampPrior's 500 components, a quarter of its step; K per IWAE step), and stops at
 * rank 4. Size-1 repetitions are left out of the view, so repeating one axis is a contiguous
 * [A, R, C] sum.
 */
registerGradient({
  kernelName: 'Tile',
  inputsToSave: ['x'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs) => {
    const [x] = saved;
    const reps = (attrs as unknown as { reps: number[] }).reps;
    const view: number[] = [];
    const axes: number[] = [];
    x.shape.forEach((size, d) => {
      if (reps[d] !== 1) {
        axes.push(view.length);
        view.push(reps[d]);
      }
      view.push(size);
    });
    return { x: () => (axes.length === 0 ? reshape(dy as Tensor, x.shape) : reshape(sum(reshape(dy as Tensor, view), axes), x.shape)) };
  },
});

/**
 * ReLU's gradient dy * step(x), without the cast tfjs puts around the step (a float32 step is
 * already float32, and wasm's Cast copies): a full pass over the activation fewer per ReLU, 2.2 ms
 * a call on a conv layer's [128, 14, 14, 64]. Same values.
 */
registerGradient({
  kernelName: 'Relu',
  inputsToSave: ['x'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
    const [x] = saved;
    return { x: () => mul(dy as Tensor, x.dtype === 'float32' ? step(x) : cast(step(x), 'float32')) };
  },
});
