/**
 * Registers TensorFlow.js's gradient functions. tfjs-core's Node bundle ships ops without
 * gradients, and its ESM gradient files cannot be loaded by Node directly; tfjs-layers' Node
 * bundle registers every gradient into the (global) registry of the one tfjs-core copy as a
 * side effect of being loaded, which is the supported way outside the `@tensorflow/tfjs`
 * union package.
 */
import '@tensorflow/tfjs-layers';
