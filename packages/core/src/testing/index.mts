/** @vaeflow/core/testing — the conformance kit and numerical helpers for vitest suites. */
export { describeFlowConformance, perturbVariables, type FlowConformanceOptions, type FlowFactoryArgs } from './flow-conformance.mjs';
export { batchJacobian, finiteDifferenceJacobian } from './jacobian.js';
