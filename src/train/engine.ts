import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config/trainConfig';
import type { ImageDataset } from '../data/dataset';
import { epochOrder } from '../data/random';
import type { BatchLossSample, Checkpoint, EpochReport, Evaluation, TrainingOutcome } from '../domain/training';
import { estimateTrainingMemory, summarizeModel } from '../model/summary';
import { DeviceSums } from './metrics';
import { TrainingSession } from './session';
import type { Transfer } from './transfer';

export interface TrainCallbacks {
  /** The run's first step finished; it includes compiling every training shader. */
  onWarmup(seconds: number): void;
  onBatchLoss(sample: BatchLossSample): void;
  onEpoch(report: EpochReport): void;
  /** After onEpoch: the epoch's confusion matrix and some misclassified test images. */
  onEvaluation?(evaluation: Evaluation): void;
}

/**
 * Resolves once the device has finished all work queued so far. Awaiting the previous step's fence before the
 * next one keeps at most two steps in flight, so a stop lands within a batch, without reading any value back.
 */
export type DeviceFence = () => Promise<void>;

export const immediateFence: DeviceFence = () => Promise.resolve();

/** How often the app's loop reads the live batch loss back: a few times a second, never once per batch. */
export const LIVE_LOSS_INTERVAL_MS = 300;

export interface TrainingJob {
  config: TrainConfig;
  data: ImageDataset;
  signal: AbortSignal;
  fence: DeviceFence;
  callbacks: TrainCallbacks;
  /** How often the live batch loss is sampled (one asynchronous read each time). */
  liveIntervalMs: number;
  /** The device's largest storage buffer; a run that needs a bigger one is refused before its first step. */
  maxBufferBytes?: number;
  /** Continue from this checkpoint instead of fresh weights. */
  resume?: Checkpoint;
  /** Fine-tuning: start from another network's weights, and keep the stages up to this one as they are. */
  transfer?: Transfer;
  /** Pause after this epoch instead of running to the config's last one. */
  untilEpoch?: number;
  /** Called after each epoch's evaluation and before onEpoch, so a saved epoch always has its weights saved. */
  onCheckpoint?: (checkpoint: Checkpoint) => Promise<void>;
  now?: () => number;
}

export class DivergenceError extends Error {
  override name = 'DivergenceError';
  constructor(
    readonly epoch: number,
    readonly batch: number,
    readonly loss: number,
  ) {
    super(
      `Loss became ${Number.isNaN(loss) ? 'NaN' : loss > 0 ? 'infinite' : 'negative infinite'} at epoch ${epoch}, ` +
        `batch ${batch} — try a smaller learning rate.`,
    );
  }
}

export class MemoryLimitError extends Error {
  override name = 'MemoryLimitError';
}

const MB = 1024 * 1024;
const byteSize = (bytes: number) => (bytes >= 10 * MB ? `${Math.round(bytes / MB)} MB` : `${Math.round(bytes / 1024)} KB`);

function checkBufferLimit(session: TrainingSession, maxBufferBytes: number): void {
  const { config } = session;
  const { largestTensor } = estimateTrainingMemory(summarizeModel(session.model), config.batchSize);
  if (largestTensor.bytes <= maxBufferBytes) return;
  const perImage = largestTensor.bytes / config.batchSize;
  throw new MemoryLimitError(
    `Batch ${config.batchSize} at ${config.resolution}×${config.resolution} needs a ` +
      `${byteSize(largestTensor.bytes)} buffer (the output of ${largestTensor.layer}), but this GPU allows ` +
      `${byteSize(maxBufferBytes)} per buffer. Use a batch of at most ${Math.floor(maxBufferBytes / perImage)}` +
      ' or a lower resolution.',
  );
}

/**
 * A task queued behind pending messages rather than a microtask: lets a worker see "stop" between batches
 * even on a backend whose kernels run synchronously. MessageChannel avoids setTimeout's 4 ms clamp.
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/**
 * d2l's train_ch6 as a stoppable loop: a fresh seeded shuffle every epoch (the last, smaller batch is kept, as
 * PyTorch's DataLoader does) and the test accuracy after each epoch. Every tensor it makes is freed before it returns.
 */
export async function runTraining(job: TrainingJob): Promise<TrainingOutcome> {
  const { config, signal, fence, callbacks } = job;
  const now = job.now ?? (() => performance.now());
  const session = new TrainingSession(config, job.data, job.transfer);
  if (job.maxBufferBytes !== undefined) {
    try {
      checkBufferLimit(session, job.maxBufferBytes);
    } catch (error) {
      session.dispose();
      throw error;
    }
  }
  const trainCount = session.trainSet.count;
  const { progress } = session;
  const { batchesPerEpoch } = progress;

  const { resume } = job;
  if (resume) {
    try {
      session.resumeFrom(resume);
    } catch (error) {
      session.dispose();
      throw error;
    }
  }
  const firstEpoch = resume ? resume.epoch + 1 : 1;
  let warmupSeconds: number | null = null;
  const runStart = now() - (resume?.elapsedSeconds ?? 0) * 1000;
  let divergence: DivergenceError | null = null;
  let liveReadInFlight = false;
  let lastLiveRead = -Infinity;

  const sampleLiveLoss = (loss: tf.Scalar, epoch: number, batch: number) => {
    liveReadInFlight = true;
    lastLiveRead = now();
    const { step, examplesSeen } = progress;
    const elapsedSeconds = (now() - runStart) / 1000;
    const sample = tf.keep(loss.clone());
    sample
      .data()
      .then((values) => {
        const value = values[0]!;
        if (!Number.isFinite(value)) divergence ??= new DivergenceError(epoch, batch, value);
        else {
          callbacks.onBatchLoss({
            epoch,
            batch,
            batchesPerEpoch,
            step,
            examplesSeen,
            elapsedSeconds,
            loss: value,
          });
        }
      })
      .finally(() => {
        sample.dispose();
        liveReadInFlight = false;
      });
  };

  try {
    const lastEpoch = Math.min(job.untilEpoch ?? config.epochs, config.epochs);
    for (let epoch = firstEpoch; epoch <= lastEpoch; epoch++) {
      const order = epochOrder(trainCount, config.seed, epoch);
      const sums = new DeviceSums();
      const epochStart = now();
      let pending: Promise<void> = Promise.resolve();
      try {
        for (let batch = 1; batch <= batchesPerEpoch; batch++) {
          if (divergence) throw divergence;
          if (signal.aborted) return 'stopped';
          const indices = order.subarray((batch - 1) * config.batchSize, batch * config.batchSize);
          const stepStart = now();
          const result = session.trainStep(indices);
          sums.add(result.loss, result.correct, indices.length);
          if (warmupSeconds === null) {
            await fence();
            warmupSeconds = (now() - stepStart) / 1000;
            callbacks.onWarmup(warmupSeconds);
          }
          if (!liveReadInFlight && now() - lastLiveRead >= job.liveIntervalMs) sampleLiveLoss(result.loss, epoch, batch);
          result.dispose();
          const stepDone = fence();
          await pending;
          pending = stepDone;
          await yieldToEventLoop();
        }
        await pending;
        const trainSeconds = (now() - epochStart) / 1000;
        const train = await sums.read();
        if (!Number.isFinite(train.meanLoss)) throw divergence ?? new DivergenceError(epoch, batchesPerEpoch, train.meanLoss);
        const evaluation = await session.evaluate(epoch, job.data.test);
        const testAccuracy = evaluation.accuracy;
        const warmupInEpoch = epoch === firstEpoch && batchesPerEpoch > 1 ? (warmupSeconds ?? 0) : 0;
        const firstBatchExamples = warmupInEpoch > 0 ? Math.min(config.batchSize, trainCount) : 0;
        sums.dispose();
        const report: EpochReport = {
          epoch,
          trainLoss: train.meanLoss,
          trainAccuracy: train.accuracy,
          testAccuracy,
          examplesPerSecond: (train.examples - firstBatchExamples) / (trainSeconds - warmupInEpoch),
          trainSeconds,
          epochSeconds: (now() - epochStart) / 1000,
          step: progress.step,
          examplesSeen: progress.examplesSeen,
          elapsedSeconds: (now() - runStart) / 1000,
          numTensors: tf.memory().numTensors,
        };
        if (job.onCheckpoint) {
          const { step: s, examplesSeen: seen, elapsedSeconds } = report;
          const state = await session.readState();
          await job.onCheckpoint({ epoch, step: s, examplesSeen: seen, elapsedSeconds, ...state, report });
        }
        callbacks.onEpoch(report);
        callbacks.onEvaluation?.(evaluation);
      } finally {
        sums.dispose();
      }
    }
    return lastEpoch === config.epochs ? 'completed' : 'paused';
  } finally {
    session.dispose();
  }
}
