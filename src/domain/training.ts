import type { DatasetShape } from './dataset';

export interface EpochReport {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testAccuracy: number;
  /** Training examples per second, shader compilation of the run's first step excluded. */
  examplesPerSecond: number;
  trainSeconds: number;
  /** Training plus evaluation. */
  epochSeconds: number;
  /** Optimiser updates so far in the run. */
  step: number;
  /** Training examples seen since the run began, and wall-clock seconds since its first step began. */
  examplesSeen: number;
  elapsedSeconds: number;
  numTensors: number;
}

export interface BatchLossSample {
  epoch: number;
  batch: number;
  batchesPerEpoch: number;
  step: number;
  examplesSeen: number;
  elapsedSeconds: number;
  loss: number;
}

/** Updates in one epoch: the last, smaller batch is kept, as PyTorch's DataLoader does. */
export const batchesPerEpoch = (examples: number, batchSize: number): number => Math.ceil(examples / batchSize);

/** 'paused': it finished the epoch it was asked to stop after (a race hands the GPU to the next run). */
export type TrainingOutcome = 'completed' | 'stopped' | 'paused';

/**
 * Everything needed to continue a run after its last finished epoch: the weights, the optimiser's state and the
 * counters. The batch order (and any augmentation) of every step follows from the seed, and the learning rate from
 * the step, so nothing else is needed.
 */
export interface Checkpoint {
  epoch: number;
  step: number;
  examplesSeen: number;
  elapsedSeconds: number;
  /** The model's weights in layerWeights order. */
  weights: Float32Array[];
  /** Momentum or Adam state; absent in checkpoints written before the optimiser had any (plain SGD). */
  optimizerState?: Float32Array[];
  /** The report of that epoch, so a page that missed it can record it before the run continues. */
  report: EpochReport;
}

/** A test image the model got wrong, small enough to post to the page: its pixels at the stored size. */
export interface Misclassified {
  /** Index in the test split. */
  index: number;
  label: number;
  predicted: number;
  /** side × side × channels values, 0–255. */
  pixels: number[];
}

/** What one epoch's test pass shows beyond the accuracy: where the mistakes go, and some of them. */
export interface Evaluation extends DatasetShape {
  epoch: number;
  accuracy: number;
  /** confusion[true][predicted] = count. */
  confusion: number[][];
  misclassified: Misclassified[];
}
