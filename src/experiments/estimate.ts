import type { TrainConfig } from '../config/trainConfig';
import type { Calibration, PricedNetwork, RateSample, StepCost } from '../domain/machineRates';
import { batchesPerEpoch } from '../domain/training';
import { D2L_STUDY, FIRST_VISIT_CONFIG, type StudyScale, scaledPresetConfig } from './presets';

/**
 * The network a calibration measures: the quick start's, also the Classroom scale's. Its steps cost a second or two
 * on a software adapter, where the Reduced and faithful networks' would cost ten times and a hundred times that.
 */
export const CALIBRATED_NETWORK: TrainConfig = FIRST_VISIT_CONFIG;

/** A config building each priced network (any of a scale's presets builds the same one). */
export const PRICED_NETWORKS: Record<PricedNetwork, TrainConfig> = {
  quick: FIRST_VISIT_CONFIG,
  classroom: scaledPresetConfig(D2L_STUDY[0]!, 'classroom', 1),
  reduced: scaledPresetConfig(D2L_STUDY[0]!, 'reduced', 1),
  faithful: scaledPresetConfig(D2L_STUDY[0]!, 'faithful', 1),
};

/** A run's or a study's price on this machine. */
export interface Estimate {
  seconds: number;
  /** Priced from the calibrated network by multiply-accumulates, not measured on this network itself. */
  scaled: boolean;
}

/** How far a network may differ from the calibrated one and still count as measured. */
const SAME_NETWORK = 0.01;

/** How much one finished epoch moves the calibration towards what it measured (a geometric average). */
const REFINE_WEIGHT = 0.5;

const stepSeconds = (step: StepCost, batch: number, scale: number) => step.fixedSeconds + step.secondsPerExample * scale * batch;

/**
 * Images per forward pass at an epoch's end: the engine recomputes batch norm's statistics in batches of
 * BN_STATS_BATCH (500) and tests in batches of a few hundred at the small scales.
 */
const FORWARD_PASS_IMAGES = 500;

/** Forward passes of an epoch's end: the statistics' batches and the test pass's. */
export const forwardPassesPerEpoch = (config: TrainConfig): number =>
  Math.ceil(config.testSubset / FORWARD_PASS_IMAGES) +
  (config.batchNorm && config.bnStats === 'recompute' ? Math.ceil(config.trainSubset / FORWARD_PASS_IMAGES) : 0);

/** Images a run's epoch passes forward without training: the test pass, and the training set again to recompute batch norm's statistics. */
export const forwardImagesPerEpoch = (config: TrainConfig): number =>
  config.testSubset + (config.batchNorm && config.bnStats === 'recompute' ? config.trainSubset : 0);

/**
 * A run's seconds on the calibrated machine: its first step's compiling, then per epoch each step's fixed cost, its
 * images' training cost and the forward passes, all per image in proportion to the network's multiply-accumulates.
 */
export function priceRun(config: TrainConfig, macsPerExample: number, calibration: Calibration): Estimate {
  const scale = macsPerExample / calibration.macsPerExample;
  const { step } = calibration;
  const training = batchesPerEpoch(config.trainSubset, config.batchSize) * step.fixedSeconds + step.secondsPerExample * scale * config.trainSubset;
  const { forward } = calibration;
  const passes = forwardPassesPerEpoch(config) * forward.fixedSeconds + forwardImagesPerEpoch(config) * forward.secondsPerExample * scale;
  return { seconds: calibration.warmupSeconds + config.epochs * (training + passes), scaled: Math.abs(scale - 1) > SAME_NETWORK };
}

/** The quick start (the first visit's settings). */
export const priceQuickStart = (calibration: Calibration): Estimate => priceRun(FIRST_VISIT_CONFIG, calibration.networkMacs.quick, calibration);

/** The five presets at a scale, run one after another, each at its own batch size. */
export function priceStudy(scale: StudyScale, calibration: Calibration): Estimate {
  const runs = D2L_STUDY.map((preset) => priceRun(scaledPresetConfig(preset, scale, 1), calibration.networkMacs[scale], calibration));
  return { seconds: runs.reduce((sum, run) => sum + run.seconds, 0), scaled: runs.some((run) => run.scaled) };
}

/** Runs one after another (a lab, a queue): the sum of their prices. */
export function priceRuns(configs: readonly TrainConfig[], macsPerExample: number, calibration: Calibration): Estimate {
  const runs = configs.map((config) => priceRun(config, macsPerExample, calibration));
  return { seconds: runs.reduce((sum, run) => sum + run.seconds, 0), scaled: runs.some((run) => run.scaled) };
}

/** How many times faster `fast` trains the quick start than `slow`, both as measured on their backends. */
export const quickStartSpeedup = (fast: Calibration, slow: Calibration): number => priceQuickStart(slow).seconds / priceQuickStart(fast).seconds;

const scaled = (cost: StepCost, factor: number): StepCost => ({ fixedSeconds: cost.fixedSeconds * factor, secondsPerExample: cost.secondsPerExample * factor });

const ratio = (measured: number, predicted: number) =>
  Number.isFinite(measured) && measured > 0 && predicted > 0 ? (measured / predicted) ** REFINE_WEIGHT : 1;

/**
 * The calibration moved towards a finished epoch: its steady step at its batch size and its forward passes, each
 * against what the calibration predicted for that network. One epoch cannot separate the fixed and per-image
 * costs, so both move by the same factor. A first epoch of one batch has no steady rate and moves only its forward passes.
 */
export function refineCalibration(calibration: Calibration, sample: RateSample): Calibration {
  const scale = sample.macsPerExample / calibration.macsPerExample;
  const steps = ratio(sample.batchSize / sample.examplesPerSecond, stepSeconds(calibration.step, sample.batchSize, scale));
  const { forward } = calibration;
  const passes = ratio(sample.forwardSeconds, sample.forwardPasses * forward.fixedSeconds + sample.forwardExamples * forward.secondsPerExample * scale);
  return { ...calibration, step: scaled(calibration.step, steps), forward: scaled(forward, sample.forwardExamples > 0 ? passes : 1) };
}
