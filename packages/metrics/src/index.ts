/** @vaeflow/metrics — evaluation metrics and the comparison report. */
export { importanceSampledNll, bitsPerDim, type IwaeOptions, type IwaeResult } from './iwae.js';
export { reconstructionError } from './reconstruction.js';
export { mmdSquared } from './mmd.js';
export { frechetDistance, moments, type Moments } from './frechet.js';
export { FeatureClassifier, trainClassifier, loadOrTrainClassifier, classifierKey, type ClassifierInfo } from './classifier.js';
export { renderReport, renderTablesReport, type RunReport, type TablesReport } from './report.js';
export { lineChartSvg, scatterChartSvg, vegaLiteSvg, type LineSeries, type LineChartOptions, type ScatterChartOptions } from './plots.js';
export { VERSION } from './version.js';
export { aggregatePosteriorLogDensity, posteriorComponents, mixtureLogDensity, type PosteriorComponents } from './aggregate-posterior.js';
export { knnKl, symmetricKl, aggregatePosteriorSamples, priorSamples, mapToBase, toBaseSpace, leakageScores } from './dpvae.js';
export { likelihoodMetrics, sampleValidity } from './likelihood-metrics.js';
export { latentUsage, type LatentUsage } from './latent-usage.js';
export { elboSurgery, type ElboSurgery } from './elbo-surgery.js';
export { inferenceGaps, type InferenceGaps, type InferenceGapOptions } from './inference-gap.js';
export { fitDiagonalGmm, type DiagonalGmm } from './ex-post-gmm.js';
export { aisLogLikelihood, bdmc, sigmoidSchedule, type AisOptions, type AisResult } from './ais.js';
