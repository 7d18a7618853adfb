import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config/trainConfig';
import type { ImageDataset } from '../data/dataset';
import { seededRandom, shuffledIndices } from '../data/random';
import type { AdapterDescription } from '../domain/backend';
import { summarizeRunNetwork } from '../model/googlenet';
import { TRAINING_FLOPS_PER_MAC } from '../model/summary';
import type { AdapterTables } from '../train/convStrategy';
import { type DeviceFence, LIVE_LOSS_INTERVAL_MS, runTraining } from '../train/engine';
import { TrainingSession } from '../train/session';
import { type BenchPolicy, usePolicy } from './policies';

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

/** The WebGPU settings a row was measured under (the benchmark compares them). */
export interface GpuSettings {
  /** The kernel policy (policies.ts). */
  policy: BenchPolicy;
  /** tfjs's WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE: dispatches encoded before each queue submit. */
  submitBatch: number;
}

export interface BenchRow extends StepSubject, GpuSettings {
  steps: number;
  examplesPerSecond: number;
  /** The same steps driven by the app's training loop (live loss reads, fences, yields): its overhead shows here. */
  appExamplesPerSecond: number;
  msPerStep: number;
  /**
   * Milliseconds the step's call takes to return: the thread's time to issue its kernels (tfjs's bookkeeping, the
   * WebGPU API calls), no fence and no profiling. On a real GPU the step can be no faster than this.
   */
  issueMsPerStep: number;
  /** issueMsPerStep over the dispatches (on WebGPU). */
  issueUsPerDispatch: number | null;
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
  /** The WebGPU adapter, where there is one: the kernel policies depend on it. */
  adapterDescription: AdapterDescription | null;
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

/** The batches a benchmark's steps train on: real images, a seeded order, the same for every policy. */
export function benchBatches(config: TrainConfig): (i: number) => Int32Array {
  const order = shuffledIndices(config.trainSubset, seededRandom(config.seed));
  return (i) => {
    const start = (i * config.batchSize) % (config.trainSubset - config.batchSize + 1);
    return order.subarray(start, start + config.batchSize);
  };
}

/**
 * Times the engine's own training step (the one the worker's loop repeats) on real images: a warm-up step that
 * compiles the shaders, one step whose dispatches and readbacks are counted, then `steps` timed steps, each timed
 * twice: until its call returns (issue) and until the device has finished it (fence).
 */
export async function benchmarkCase(benchCase: BenchCase, data: ImageDataset, probes: BenchProbes, settings: GpuSettings): Promise<BenchRow> {
  const { config } = benchCase;
  const tensorsBefore = tf.memory().numTensors;
  const bytesBefore = probes.bytesInUse();
  const macs = summarizeRunNetwork(config).totalMacs;
  const session = new TrainingSession(config, data);
  const batchAt = benchBatches(config);
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
    const issue: number[] = [];
    for (let i = 0; i < benchCase.steps; i++) {
      t = performance.now();
      step(3 + i);
      issue.push(performance.now() - t);
      await probes.fence();
      times.push(performance.now() - t);
    }
    const msPerStep = median(times);
    const issueMsPerStep = median(issue);
    const examplesPerSecond = (config.batchSize * 1000) / msPerStep;
    measured = {
      ...stepSubject(probes, benchCase),
      ...settings,
      steps: benchCase.steps,
      examplesPerSecond,
      msPerStep,
      issueMsPerStep,
      issueUsPerDispatch: dispatchesPerStep ? (1000 * issueMsPerStep) / dispatchesPerStep : null,
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

const SUBMIT_BATCH_FLAG = 'WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE';

/** What the benchmark compares on WebGPU: each policy at each submit batch (other backends: one row per case). */
export interface BenchSettings {
  policies: readonly BenchPolicy[];
  submitBatches: readonly number[];
  /** Tables to use in place of the shipped ones (a tuning run's own, on a GPU server). */
  tables?: readonly AdapterTables[];
}

/** Every case under every setting, each a fresh session; the app's policy and tfjs's submit batch are restored after. */
export async function benchmarkCases(
  cases: readonly BenchCase[],
  settings: BenchSettings,
  data: ImageDataset,
  probes: BenchProbes,
  onRow: (row: BenchRow) => void,
): Promise<void> {
  const flags = tf.env();
  const submitBatch = flags.getNumber(SUBMIT_BATCH_FLAG);
  const gpu = probes.backend === 'webgpu';
  try {
    for (const benchCase of cases) {
      for (const policy of gpu ? settings.policies : (['app'] as const)) {
        for (const batch of gpu ? settings.submitBatches : [submitBatch]) {
          usePolicy(probes.backend, policy, probes.adapterDescription, settings.tables);
          flags.set(SUBMIT_BATCH_FLAG, batch);
          onRow(await benchmarkCase(benchCase, data, probes, { policy, submitBatch: batch }));
        }
      }
    }
  } finally {
    flags.set(SUBMIT_BATCH_FLAG, submitBatch);
    usePolicy(probes.backend, 'app', probes.adapterDescription);
  }
}
