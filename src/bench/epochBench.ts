import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config/trainConfig';
import type { ImageDataset } from '../data/dataset';
import { STUDY_SCALES } from '../experiments/presets';
import { epochOrder } from '../data/random';
import type { Checkpoint, EpochReport } from '../domain/training';
import { summarizeRunNetwork } from '../model/googlenet';
import type { ModelSummary } from '../model/summary';
import { LIVE_LOSS_INTERVAL_MS, runTraining } from '../train/engine';
import { TrainingSession } from '../train/session';
import { type BenchCase, type BenchProbes, type StepSubject, stepSubject } from './benchmark';

/**
 * `npm run bench -- --loop`: one epoch of a case's settings (its training and test subsets, e.g. the Classroom
 * preset's 1,500 / 500 images) through the app's runTraining — its steps, the test pass with the confusion matrix
 * and the misclassified gallery, the checkpoint — beside the same epoch's steps alone, timed before and after the
 * loop (a software adapter's speed drifts by a tenth from one minute to the next, so one side alone can flatter or
 * wrong the loop). The two rates say what an epoch costs beyond its training steps.
 */
export interface EpochRow extends StepSubject {
  /** With batch norm: whether the epoch recomputed the statistics before its test pass (the Classroom preset does). */
  bnStats: TrainConfig['bnStats'] | null;
  trainImages: number;
  testImages: number;
  /** The epoch's steps alone, back to back, each fenced as the loop fences it: the mean of the two timings. */
  examplesPerSecond: number;
  /** The whole epoch in runTraining: from the previous epoch's report to this one's, checkpoint and test pass included. */
  epochExamplesPerSecond: number;
  stepsSeconds: number;
  /** The bare steps timed before the loop and after it. */
  stepsSecondsBefore: number;
  stepsSecondsAfter: number;
  epochSeconds: number;
  /** What the whole epoch spent outside the bare steps' time. */
  outsideStepsSeconds: number;
  /** From the loop's own report: its steps, and what followed them (statistics, test pass, the epoch's one read). */
  loopStepsSeconds: number;
  endOfEpochSeconds: number;
  /** GPU→CPU reads in that epoch (on WebGPU: every read is a round trip). */
  readsPerEpoch: number;
  /** The steps' share of the whole epoch on an adapter whose time is its multiply-accumulates (epochArithmeticShare). */
  arithmeticShare: number;
  tensorsBefore: number;
  tensorsAfter: number;
}

/**
 * The bare steps' time over the whole epoch's on an adapter whose time is proportional to its multiply-accumulates,
 * whatever it spends per dispatch: the ratio a software adapter such as SwiftShader is bound by. A step runs each
 * image forward and back — the weight gradient of every layer, the input gradient of every layer but the first (the
 * images need none); the end of the epoch runs one forward pass per test image, and with the statistics recomputed
 * one more per training image (the whole network in training mode, as session.recomputeBatchNormStatistics does).
 */
export function epochArithmeticShare(
  { layers, totalMacs }: Pick<ModelSummary, 'layers' | 'totalMacs'>,
  epoch: { trainImages: number; testImages: number; recomputed: boolean },
): number {
  const firstLayerMacs = layers.find((layer) => layer.macs > 0)?.macs ?? 0;
  const steps = epoch.trainImages * (3 * totalMacs - firstLayerMacs);
  const endOfEpoch = (epoch.testImages + (epoch.recomputed ? epoch.trainImages : 0)) * totalMacs;
  return steps / (steps + endOfEpoch);
}

/** The epoch's steps alone, in the order runTraining would take them, after a warm-up step. */
async function bareEpochSeconds(benchCase: BenchCase, data: ImageDataset, probes: BenchProbes): Promise<{ seconds: number; images: number }> {
  const { config } = benchCase;
  const session = new TrainingSession(config, data);
  try {
    const order = epochOrder(session.trainSet.count, config.seed, 1);
    const batches = Math.ceil(order.length / config.batchSize);
    session.trainStep(order.subarray(0, config.batchSize)).dispose();
    await probes.fence();
    const start = performance.now();
    let pending = Promise.resolve();
    for (let b = 0; b < batches; b++) {
      session.trainStep(order.subarray(b * config.batchSize, (b + 1) * config.batchSize)).dispose();
      const done = probes.fence();
      await pending;
      pending = done;
    }
    await pending;
    return { seconds: (performance.now() - start) / 1000, images: order.length };
  } finally {
    session.dispose();
  }
}

/**
 * The epochs a case's loop benchmark times: the Classroom network with the Classroom preset's images (1,500 / 500),
 * once with its statistics recomputed before the test pass, as the preset does, and once with running averages.
 */
export function epochCases(benchCase: BenchCase): BenchCase[] {
  if (benchCase.label !== 'classroom') return [benchCase];
  const { trainSubset, testSubset } = STUDY_SCALES.classroom.settings;
  const config = { ...benchCase.config, trainSubset: trainSubset!, testSubset: testSubset! };
  return (['recompute', 'running'] as const).map((bnStats) => ({ ...benchCase, config: { ...config, bnStats } }));
}

/** Two epochs through runTraining; the second, free of shader compilation, is the one reported. */
export async function benchmarkEpoch(benchCase: BenchCase, data: ImageDataset, probes: BenchProbes): Promise<EpochRow> {
  const { config } = benchCase;
  const tensorsBefore = tf.memory().numTensors;
  const bareBefore = await bareEpochSeconds(benchCase, data, probes);
  const reports: number[] = [];
  let reads = 0;
  let secondEpochReads = 0;
  let examples = 0;
  let second: EpochReport | null = null;
  const saved: Checkpoint[] = [];
  const countReads = (run: () => Promise<unknown>) => {
    const backend = tf.backend();
    const read = backend.read.bind(backend);
    backend.read = (dataId) => {
      reads++;
      return read(dataId);
    };
    return run().finally(() => {
      backend.read = read;
    });
  };
  await countReads(() =>
    runTraining({
      config: { ...config, epochs: 2 },
      data,
      signal: new AbortController().signal,
      fence: probes.fence,
      liveIntervalMs: LIVE_LOSS_INTERVAL_MS,
      // What the worker's store is handed: the checkpoint, copied as a message to it would be.
      onCheckpoint: async (checkpoint) => {
        saved.push(structuredClone(checkpoint));
      },
      callbacks: {
        onWarmup: () => {},
        onBatchLoss: () => {},
        onEpoch: (report) => {
          reports.push(performance.now());
          if (report.epoch === 1) secondEpochReads = -reads;
          else {
            secondEpochReads += reads;
            examples = report.examplesSeen / 2;
            second = report;
          }
        },
      },
    }),
  );
  if (reports.length !== 2 || saved.length !== 2 || second === null) throw new Error('the loop did not report and save both epochs');
  const bareAfter = await bareEpochSeconds(benchCase, data, probes);
  const stepsSeconds = (bareBefore.seconds + bareAfter.seconds) / 2;
  const { trainSeconds, epochSeconds: reportedSeconds } = second as EpochReport;
  const epochSeconds = (reports[1]! - reports[0]!) / 1000;
  const testImages = Math.min(config.testSubset, data.test.count);
  const bnStats = config.batchNorm ? config.bnStats : null;
  const network = summarizeRunNetwork(config, { classCount: data.classes.length, channels: data.channels });
  return {
    ...stepSubject(probes, benchCase),
    bnStats,
    trainImages: examples,
    testImages,
    examplesPerSecond: bareBefore.images / stepsSeconds,
    epochExamplesPerSecond: examples / epochSeconds,
    stepsSeconds,
    stepsSecondsBefore: bareBefore.seconds,
    stepsSecondsAfter: bareAfter.seconds,
    epochSeconds,
    outsideStepsSeconds: epochSeconds - stepsSeconds,
    loopStepsSeconds: trainSeconds,
    endOfEpochSeconds: reportedSeconds - trainSeconds,
    readsPerEpoch: secondEpochReads,
    arithmeticShare: epochArithmeticShare(network, { trainImages: examples, testImages, recomputed: bnStats === 'recompute' }),
    tensorsBefore,
    tensorsAfter: tf.memory().numTensors,
  };
}
