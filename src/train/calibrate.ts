import type { TrainConfig } from '../config/trainConfig';
import type { ImageDataset } from '../data/dataset';
import { CALIBRATION_GAVE_WAY, type Calibration, type PricedNetwork, type StepCost } from '../domain/machineRates';
import { summarizeRunNetwork } from '../model/googlenet';
import { type DeviceFence, yieldToEventLoop } from './engine';
import { TrainingSession } from './session';

/** Two batch sizes give the step's fixed and per-image costs; the presets' batches (8 … 1,000) are priced from them. */
export const CALIBRATION_BATCHES = [8, 32] as const;
/** The larger forward pass (the recomputed statistics'); the smaller is the test pass's, of the larger batch. */
const FORWARD_IMAGES = 96;
/** Steps timed per batch size after the warm-up steps: on a software adapter each costs seconds. */
const TIMED_STEPS = 2;

export class CalibrationStopped extends Error {
  override name = 'CalibrationStopped';
  constructor() {
    super(CALIBRATION_GAVE_WAY);
  }
}

/** Multiply-accumulates per image of the network a config builds on `data`. */
export function macsPerExample(config: TrainConfig, data: ImageDataset): number {
  return summarizeRunNetwork(config, { classCount: data.classes.length, channels: data.channels }).totalMacs;
}

/** The line through two (batch, seconds) points, kept non-negative: noise must not make a batch free. */
export function fitStepCost([b1, t1]: [number, number], [b2, t2]: [number, number]): StepCost {
  const slope = (t2 - t1) / (b2 - b1);
  if (slope <= 0) return { fixedSeconds: 0, secondsPerExample: t2 / b2 };
  const fixedSeconds = t1 - slope * b1;
  return fixedSeconds < 0 ? { fixedSeconds: 0, secondsPerExample: t2 / b2 } : { fixedSeconds, secondsPerExample: slope };
}

interface Measuring {
  data: ImageDataset;
  fence: DeviceFence;
  signal: AbortSignal;
}

/**
 * Between two pieces of measuring work: on wasm and cpu the fence resolves at once and the kernels run synchronously,
 * so without a task here the worker would not read the message that asks it to give way until the whole calibration
 * had run.
 */
async function giveWayIfAsked(signal: AbortSignal): Promise<void> {
  await yieldToEventLoop();
  if (signal.aborted) throw new CalibrationStopped();
}

async function timed(fence: DeviceFence, work: () => void): Promise<number> {
  const start = performance.now();
  work();
  await fence();
  return (performance.now() - start) / 1000;
}

/** A fresh session's first step (compiling, recording) and its steady step, the fastest of TIMED_STEPS. */
async function stepSeconds(config: TrainConfig, { data, fence, signal }: Measuring): Promise<{ first: number; steady: number }> {
  const session = new TrainingSession(config, data);
  try {
    const batch = Int32Array.from({ length: config.batchSize }, (_, i) => i);
    const step = async () => {
      await giveWayIfAsked(signal);
      return timed(fence, () => session.trainStep(batch).dispose());
    };
    const first = await step();
    // The second full batch replays the step the first recorded (WebGPU): warm it too.
    await step();
    let steady = Infinity;
    for (let i = 0; i < TIMED_STEPS; i++) steady = Math.min(steady, await step());
    return { first, steady };
  } finally {
    session.dispose();
  }
}

/**
 * Forward passes of two sizes, the recomputed statistics over the training images and the test pass over the test
 * images, once to compile and once timed: a pass costs its few hundred kernels whatever its size, as a step does.
 */
async function forwardCost(config: TrainConfig, { data, fence, signal }: Measuring): Promise<StepCost> {
  const session = new TrainingSession(config, data);
  try {
    const passes = async () => {
      const statistics = await timed(fence, () => session.recomputeBatchNormStatistics());
      const start = performance.now();
      const predictions = session.predictTestSet();
      await predictions.data();
      predictions.dispose();
      return { statistics, test: (performance.now() - start) / 1000 };
    };
    await giveWayIfAsked(signal);
    await passes();
    await giveWayIfAsked(signal);
    const { statistics, test } = await passes();
    return fitStepCost([session.testSet.count, test], [session.trainSet.count, statistics]);
  } finally {
    session.dispose();
  }
}

/**
 * Measures `measured`'s network on this backend: a few steps at each of CALIBRATION_BATCHES and a forward pass,
 * then counts each priced network's multiply-accumulates. Throws CalibrationStopped between steps once `signal` is
 * aborted. Every tensor it makes is freed.
 */
export async function calibrate(
  measured: TrainConfig,
  priced: Record<PricedNetwork, TrainConfig>,
  measuring: Measuring,
): Promise<Calibration> {
  const start = performance.now();
  const [small, large] = CALIBRATION_BATCHES;
  const images = { trainSubset: large, testSubset: large };
  const first = await stepSeconds({ ...measured, ...images, batchSize: small }, measuring);
  const second = await stepSeconds({ ...measured, ...images, batchSize: large }, measuring);
  const forward = await forwardCost({ ...measured, trainSubset: FORWARD_IMAGES, testSubset: large, batchSize: large, batchNorm: true }, measuring);
  const networkMacs = Object.fromEntries(
    Object.entries(priced).map(([network, config]) => [network, macsPerExample(config, measuring.data)]),
  ) as Record<PricedNetwork, number>;
  return {
    macsPerExample: macsPerExample(measured, measuring.data),
    step: fitStepCost([small, first.steady], [large, second.steady]),
    forward,
    warmupSeconds: Math.max(0, first.first - first.steady),
    networkMacs,
    seconds: (performance.now() - start) / 1000,
  };
}
