import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config/trainConfig';
import type { ImageDataset } from '../data/dataset';
import { epochOrder } from '../data/random';
import type { BatchLossSample, Checkpoint, EpochReport, Evaluation, TrainingOutcome } from '../domain/training';
import { estimateTrainingMemory, summarizeModel } from '../model/summary';
import { DeviceSums } from './metrics';
import { readTogether } from './readTogether';
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
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** The device-side work of an epoch's end, and its one read. */
interface EpochEnd {
  meanLoss: number;
  accuracy: number;
  examples: number;
  predictions: Int32Array;
  state: Pick<Checkpoint, 'weights' | 'optimizerState'>;
}

/** A run between its first and last epoch: the session, the clock, the live-loss sampler and what has gone wrong. */
class RunInProgress {
  readonly session: TrainingSession;
  readonly now: () => number;
  readonly runStart: number;
  warmupSeconds: number | null = null;
  /** The first failure seen outside the loop's own awaits (a live read, a checkpoint being written): thrown at the next batch. */
  private failure: Error | null = null;
  private liveReadInFlight = false;
  private lastLiveRead = -Infinity;
  /** The last epoch's checkpoint and report, written while the next epoch trains. */
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    readonly job: TrainingJob,
    session: TrainingSession,
  ) {
    this.session = session;
    this.now = job.now ?? (() => performance.now());
    this.runStart = this.now() - (job.resume?.elapsedSeconds ?? 0) * 1000;
  }

  /** The session for `job`, its buffers checked against the device and its checkpoint loaded; nothing leaks on refusal. */
  static open(job: TrainingJob): RunInProgress {
    const session = new TrainingSession(job.config, job.data, job.transfer);
    try {
      if (job.maxBufferBytes !== undefined) checkBufferLimit(session, job.maxBufferBytes);
      if (job.resume) session.resumeFrom(job.resume);
    } catch (error) {
      session.dispose();
      throw error;
    }
    return new RunInProgress(job, session);
  }

  get firstEpoch(): number {
    return this.job.resume ? this.job.resume.epoch + 1 : 1;
  }

  fail(error: Error): void {
    this.failure ??= error;
  }

  throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** At most one live read in flight, a few times a second: the loss of the step just issued, never waited for. */
  sampleLiveLoss(loss: tf.Scalar, epoch: number, batch: number): void {
    if (this.liveReadInFlight || this.now() - this.lastLiveRead < this.job.liveIntervalMs) return;
    this.liveReadInFlight = true;
    this.lastLiveRead = this.now();
    const { step, examplesSeen, batchesPerEpoch } = this.session.progress;
    const elapsedSeconds = (this.now() - this.runStart) / 1000;
    const sample = tf.keep(loss.clone());
    sample
      .data()
      .then(([value]) => {
        if (!Number.isFinite(value!)) this.fail(new DivergenceError(epoch, batch, value!));
        else this.job.callbacks.onBatchLoss({ epoch, batch, batchesPerEpoch, step, examplesSeen, elapsedSeconds, loss: value! });
      })
      .catch((error: Error) => this.fail(error))
      .finally(() => {
        sample.dispose();
        this.liveReadInFlight = false;
      });
  }

  /** After `write` (the epoch's checkpoint) lands, `then` (its report) is posted; a failed write fails the run. */
  saveThen(write: Promise<void>, then: () => void): void {
    this.saving = this.saving.then(() => write).then(then);
    this.saving.catch((error: Error) => this.fail(error));
  }

  /** Waits for the last checkpoint and report: a run is over only once its last epoch is saved. */
  async saved(): Promise<void> {
    await this.saving;
  }
}

/**
 * One epoch's updates: a fresh seeded shuffle (the last, smaller batch is kept, as PyTorch's DataLoader does), at
 * most two steps in flight, the loss and correct counts summed on the device. 'stopped' if the signal came.
 */
async function trainEpoch(run: RunInProgress, epoch: number, sums: DeviceSums): Promise<'trained' | 'stopped'> {
  const { job, session } = run;
  const { config, fence, signal } = job;
  const { batchesPerEpoch } = session.progress;
  const order = epochOrder(session.trainSet.count, config.seed, epoch);
  let pending: Promise<void> = Promise.resolve();
  for (let batch = 1; batch <= batchesPerEpoch; batch++) {
    run.throwIfFailed();
    if (signal.aborted) return 'stopped';
    const indices = order.subarray((batch - 1) * config.batchSize, batch * config.batchSize);
    const stepStart = run.now();
    const result = session.trainStep(indices);
    sums.add(result.loss, result.correct, indices.length);
    if (run.warmupSeconds === null) {
      await fence();
      run.warmupSeconds = (run.now() - stepStart) / 1000;
      job.callbacks.onWarmup(run.warmupSeconds);
    }
    run.sampleLiveLoss(result.loss, epoch, batch);
    result.dispose();
    const stepDone = fence();
    await pending;
    pending = stepDone;
    await yieldToEventLoop();
  }
  await pending;
  return 'trained';
}

/**
 * The epoch's end on the device — the test pass in large batches, the sums, the weights and the optimiser's state —
 * brought back in one read.
 */
async function readEpochEnd(session: TrainingSession, sums: DeviceSums): Promise<EpochEnd> {
  const totals = sums.totals();
  const predictions = session.predictTestSet();
  try {
    const [sumValues, predicted, ...values] = await readTogether([totals, predictions, ...session.stateTensors()]);
    return { ...sums.meansOf(sumValues!), predictions: Int32Array.from(predicted!), state: session.stateFrom(values) };
  } finally {
    tf.dispose([totals, predictions]);
  }
}

/** The epoch's report and checkpoint: the checkpoint is written while the next epoch trains, and the report follows it. */
async function finishEpoch(run: RunInProgress, epoch: number, sums: DeviceSums, epochStart: number): Promise<void> {
  const { job, session, now } = run;
  const { config, callbacks } = job;
  const trainSeconds = (now() - epochStart) / 1000;
  if (config.batchNorm && config.bnStats === 'recompute') session.recomputeBatchNormStatistics();
  const end = await readEpochEnd(session, sums);
  const { batchesPerEpoch } = session.progress;
  if (!Number.isFinite(end.meanLoss)) throw new DivergenceError(epoch, batchesPerEpoch, end.meanLoss);
  const evaluation = session.evaluationFrom(epoch, end.predictions, job.data.test);
  const warmupInEpoch = epoch === run.firstEpoch && batchesPerEpoch > 1 ? (run.warmupSeconds ?? 0) : 0;
  const firstBatchExamples = warmupInEpoch > 0 ? Math.min(config.batchSize, session.trainSet.count) : 0;
  const { step, examplesSeen } = session.progress;
  const report: EpochReport = {
    epoch,
    trainLoss: end.meanLoss,
    trainAccuracy: end.accuracy,
    testAccuracy: evaluation.accuracy,
    examplesPerSecond: (end.examples - firstBatchExamples) / (trainSeconds - warmupInEpoch),
    trainSeconds,
    epochSeconds: (now() - epochStart) / 1000,
    step,
    examplesSeen,
    elapsedSeconds: (now() - run.runStart) / 1000,
    numTensors: tf.memory().numTensors,
  };
  const write = job.onCheckpoint?.({ epoch, step, examplesSeen, elapsedSeconds: report.elapsedSeconds, ...end.state, report }) ?? Promise.resolve();
  run.saveThen(write, () => {
    callbacks.onEpoch(report);
    callbacks.onEvaluation?.(evaluation);
  });
}

/**
 * d2l's train_ch6 as a stoppable loop: each epoch's updates, then its test accuracy. Every tensor it makes is freed
 * before it returns, and it returns once the last epoch's checkpoint is written and reported.
 */
export async function runTraining(job: TrainingJob): Promise<TrainingOutcome> {
  const run = RunInProgress.open(job);
  const { config } = job;
  const lastEpoch = Math.min(job.untilEpoch ?? config.epochs, config.epochs);
  try {
    for (let epoch = run.firstEpoch; epoch <= lastEpoch; epoch++) {
      const sums = new DeviceSums();
      try {
        const epochStart = run.now();
        if ((await trainEpoch(run, epoch, sums)) === 'stopped') {
          await run.saved();
          return 'stopped';
        }
        await finishEpoch(run, epoch, sums, epochStart);
      } finally {
        sums.dispose();
      }
    }
    await run.saved();
    run.throwIfFailed();
    return lastEpoch === config.epochs ? 'completed' : 'paused';
  } catch (error) {
    // The epoch before the failure is still reported, and before the failure is: events arrive in the order they happened.
    await run.saved().catch(() => {});
    throw error;
  } finally {
    run.session.dispose();
  }
}
