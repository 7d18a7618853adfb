import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config/trainConfig';
import type { ImageDataset } from '../data/dataset';
import { seededRandom, shuffledIndices } from '../data/random';
import { buildRunNetwork } from '../model/googlenet';
import { TRAINING_FLOPS_PER_MAC, summarizeModel } from '../model/summary';
import { type DeviceFence, LIVE_LOSS_INTERVAL_MS, runTraining } from '../train/engine';
import { TrainingSession } from '../train/session';

export interface BenchCase {
  label: string;
  config: TrainConfig;
  /** Timed steps after the warm-up step. */
  steps: number;
}

/** What a measured step ran on and with: the columns every benchmark row starts with. */
export interface StepSubject {
  runtime: string;
  backend: string;
  adapter: string;
  label: string;
  resolution: number;
  width: number;
  batch: number;
}

export interface BenchRow extends StepSubject {
  steps: number;
  examplesPerSecond: number;
  /** The same steps driven by the app's training loop (live loss reads, fences, yields): its overhead shows here. */
  appExamplesPerSecond: number;
  msPerStep: number;
  firstStepMs: number;
  /** Compute-shader dispatches in one training step; null where the backend has no such thing. */
  dispatchesPerStep: number | null;
  /** Kernels tfjs ran in one step, counted where dispatches cannot be (the cpu backend). */
  kernelsPerStep: number | null;
  readbacksPerStep: number;
  tensorsBefore: number;
  tensorsAfter: number;
  bytesBefore: number;
  bytesAfter: number;
  macsPerExample: number;
  achievedGflops: number;
}

/** Hooks a runtime gives the benchmark to count what only it can see. */
export interface BenchProbes {
  runtime: string;
  backend: string;
  adapter: string;
  fence: DeviceFence;
  /** Counts compute dispatches made while `run` executes; null when not countable. */
  countDispatches(run: () => void): number | null;
  /** Counts GPU→CPU reads started while `run` executes. */
  countReadbacks(run: () => void): number;
  bytesInUse(): number;
}

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Where and on what a case's steps ran: the columns every benchmark row starts with. */
export function stepSubject(probes: BenchProbes, benchCase: BenchCase): StepSubject {
  const { config } = benchCase;
  return {
    runtime: probes.runtime,
    backend: probes.backend,
    adapter: probes.adapter,
    label: benchCase.label,
    resolution: config.resolution,
    width: config.width,
    batch: config.batchSize,
  };
}

function macsPerExample(config: TrainConfig): number {
  const model = buildRunNetwork(config);
  const macs = summarizeModel(model).totalMacs;
  model.dispose();
  return macs;
}

/**
 * Times the engine's own training step (the one the worker's loop repeats) on real images: a warm-up step that
 * compiles the shaders, one step whose dispatches and readbacks are counted, then `steps` timed steps.
 */
export async function benchmarkCase(benchCase: BenchCase, data: ImageDataset, probes: BenchProbes): Promise<BenchRow> {
  const { config } = benchCase;
  const tensorsBefore = tf.memory().numTensors;
  const bytesBefore = probes.bytesInUse();
  const macs = macsPerExample(config);
  const session = new TrainingSession(config, data);
  const order = shuffledIndices(config.trainSubset, seededRandom(config.seed));
  const batchAt = (i: number) => {
    const start = (i * config.batchSize) % (config.trainSubset - config.batchSize + 1);
    return order.subarray(start, start + config.batchSize);
  };
  const step = (i: number) => session.trainStep(batchAt(i)).dispose();
  let measured: Omit<BenchRow, 'tensorsAfter' | 'bytesAfter' | 'appExamplesPerSecond'>;
  try {
    let t = performance.now();
    step(0);
    await probes.fence();
    const firstStepMs = performance.now() - t;

    let dispatchesPerStep: number | null = null;
    const readbacksPerStep = probes.countReadbacks(() => {
      dispatchesPerStep = probes.countDispatches(() => step(1));
    });
    await probes.fence();
    const kernelsPerStep = dispatchesPerStep === null ? (await tf.profile(() => step(2))).kernels.length : null;

    const times: number[] = [];
    for (let i = 0; i < benchCase.steps; i++) {
      t = performance.now();
      step(3 + i);
      await probes.fence();
      times.push(performance.now() - t);
    }
    const msPerStep = median(times);
    const examplesPerSecond = (config.batchSize * 1000) / msPerStep;
    measured = {
      ...stepSubject(probes, benchCase),
      steps: benchCase.steps,
      examplesPerSecond,
      msPerStep,
      firstStepMs,
      dispatchesPerStep,
      kernelsPerStep,
      readbacksPerStep,
      tensorsBefore,
      bytesBefore,
      macsPerExample: macs,
      achievedGflops: (examplesPerSecond * macs * TRAINING_FLOPS_PER_MAC) / 1e9,
    };
  } finally {
    session.dispose();
  }
  const appExamplesPerSecond = await measureAppLoop(benchCase, data, probes);
  return { ...measured, appExamplesPerSecond, tensorsAfter: tf.memory().numTensors, bytesAfter: probes.bytesInUse() };
}

/** One epoch of `steps + 1` batches through runTraining, exactly as the worker runs it; its first step is excluded. */
async function measureAppLoop(benchCase: BenchCase, data: ImageDataset, probes: BenchProbes): Promise<number> {
  const { config } = benchCase;
  let examplesPerSecond = 0;
  await runTraining({
    config: { ...config, epochs: 1, trainSubset: config.batchSize * (benchCase.steps + 1), testSubset: 1 },
    data,
    signal: new AbortController().signal,
    fence: probes.fence,
    liveIntervalMs: LIVE_LOSS_INTERVAL_MS,
    callbacks: {
      onWarmup: () => {},
      onBatchLoss: () => {},
      onEpoch: (report) => (examplesPerSecond = report.examplesPerSecond),
    },
  });
  return examplesPerSecond;
}
