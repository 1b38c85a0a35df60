/** @vaeflow/flows-glow — Glow's pieces for image-shaped data: ActNorm per channel, LU 1x1 convolution, conv affine coupling, squeeze, multi-scale split. */
export { plugin, plugin as default } from './plugin.js';
export { Glow, type GlowOptions } from './glow.js';
export { ImageStep, squeeze, unsqueeze } from './image-step.js';
export { ChannelActNorm } from './actnorm.js';
export { InvertibleConv1x1, randomRotationLU } from './invertible-conv.js';
export { ConvAffineCoupling } from './conv-coupling.js';
export { VERSION } from './version.js';
