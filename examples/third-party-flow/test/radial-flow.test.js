import { describeFlowConformance } from '@vaeflow/core/testing';
import { RadialFlow } from '../radial-flow.js';

describeFlowConformance('radial (third-party)', ({ dim, rng }) => new RadialFlow(dim, rng));
