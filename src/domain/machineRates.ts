/**
 * Why a calibration ended unfinished: it gives way to anything else the page asks of the worker (a run, a prediction,
 * a model to save), and the page asks again once the worker has been left alone for a while.
 */
export const CALIBRATION_GAVE_WAY = 'The calibration gave way to other work.';

/** A training step's seconds at batch B on the measured network: fixedSeconds + secondsPerExample × B. */
export interface StepCost {
  /** What a step costs whatever its batch: issuing its few hundred kernels. */
  fixedSeconds: number;
  secondsPerExample: number;
}

/** The networks the page prices before the user picks settings: the quick start's and each study scale's. */
export type PricedNetwork = 'quick' | 'classroom' | 'reduced' | 'faithful';

/**
 * What a short calibration measured on one backend and adapter: one network's training step at two batch sizes and
 * its forward pass. Other networks are priced from it in proportion to their multiply-accumulates.
 */
export interface Calibration {
  /** Multiply-accumulates per image of the measured network. */
  macsPerExample: number;
  step: StepCost;
  /** A forward pass (the test pass, batch norm's recomputed statistics) of N images: fixedSeconds + secondsPerExample × N. */
  forward: StepCost;
  /** A run's first step beyond a steady one: compiling shaders, recording the step. */
  warmupSeconds: number;
  /** Multiply-accumulates per image of each network the page prices. */
  networkMacs: Record<PricedNetwork, number>;
  /** How long the calibration itself took. */
  seconds: number;
}

/** What a finished epoch measured: its steady training rate and its end (statistics, test pass, the epoch's read). */
export interface RateSample {
  macsPerExample: number;
  batchSize: number;
  examplesPerSecond: number;
  /** The epoch's forward passes and the images they took. */
  forwardPasses: number;
  forwardExamples: number;
  forwardSeconds: number;
}
