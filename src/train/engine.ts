import * as tf from '@tensorflow/tfjs';
import { type TrainConfig, inputChannels } from '../config/trainConfig';
import type { ImageDataset, LabelledImages } from '../data/dataset';
import { DeviceImageSet } from '../data/gpuDataset';
import { augmentBatch, isAugmenting } from '../data/augment';
import { augmentationRandom, epochOrder } from '../data/random';
import {
  buildRunNetwork,
  isClassifierHead,
  layerWeights,
  loadLayerWeights,
  stageOf,
} from '../model/googlenet';
import { estimateTrainingMemory, summarizeModel } from '../model/summary';
import { summarizePredictions } from './evaluation';
import { DeviceSums, countCorrect, crossEntropy } from './metrics';
import { TrainingOptimizer, learningRateAt } from './optimizer';
import type { BatchLossSample, Checkpoint, EpochReport, Evaluation, TrainingOutcome } from '../domain/training';
import { STAGES, type Stage, type TransferCheck } from '../domain/transfer';

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

export interface Transfer {
  /** The trained network whose layers (all but the classifiers) the run starts from; absent when resuming. */
  source?: tf.LayersModel;
  /** Stages b1…this one keep their weights; null trains every layer. */
  freezeThrough: Stage | null;
  /** The source network's input channels, which its first layer fixes: the data is converted to them. */
  inputChannels: number;
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

/** The classifier's output; auxiliary heads, when present, come after it and never count for accuracy. */
function mainLogits(outputs: tf.Tensor | tf.Tensor[]): tf.Tensor2D {
  return (Array.isArray(outputs) ? outputs[0]! : outputs) as tf.Tensor2D;
}

/** The logits, then each auxiliary head's when the model has them. */
function forward(model: tf.LayersModel, images: tf.Tensor4D, training: boolean): tf.Tensor | tf.Tensor[] {
  return model.apply(images, { training }) as tf.Tensor | tf.Tensor[];
}

/** The paper's weight for each auxiliary classifier's loss during training. */
export const AUX_LOSS_WEIGHT = 0.3;

/** Softmax cross-entropy of the main head, plus 0.3 × that of each auxiliary head when the model has them. */
export function trainingLoss(outputs: tf.Tensor | tf.Tensor[], labels: tf.Tensor1D, classes: number): tf.Scalar {
  const [main, ...aux] = Array.isArray(outputs) ? outputs : [outputs];
  return aux.reduce<tf.Scalar>(
    (total, head) => tf.add(total, tf.mul(crossEntropy(head as tf.Tensor2D, labels, classes), AUX_LOSS_WEIGHT)),
    crossEntropy(main as tf.Tensor2D, labels, classes),
  );
}

/** The predicted class of each test image, batch by batch on the device, read back once. */
export async function predictClasses(
  model: tf.LayersModel,
  testSet: DeviceImageSet,
  batchSize: number,
  resolution: number,
  channels: number,
): Promise<Int32Array> {
  const batches: tf.Tensor1D[] = [];
  try {
    for (let start = 0; start < testSet.count; start += batchSize) {
      const end = Math.min(start + batchSize, testSet.count);
      const indices = Int32Array.from({ length: end - start }, (_, i) => start + i);
      batches.push(
        tf.tidy(() => {
          const { images } = testSet.batch(indices, resolution, channels);
          return tf.argMax(mainLogits(forward(model, images, false)), 1) as tf.Tensor1D;
        }),
      );
    }
    const all = tf.concat(batches);
    try {
      return (await all.data()) as Int32Array;
    } finally {
      all.dispose();
    }
  } finally {
    batches.forEach((t) => t.dispose());
  }
}

/**
 * Copies every layer but the classifiers from a trained network into a new one of the same architecture (the new
 * one may have other classes). A layer whose weights have other shapes (another width, say) is a mistake to report.
 */
export function copyFeatureLayers(source: tf.LayersModel, target: tf.LayersModel): void {
  for (const layer of target.layers) {
    if (layer.countParams() === 0 || isClassifierHead(layer.name)) continue;
    const from = source.layers.find((l) => l.name === layer.name);
    const weights = from?.getWeights();
    const fits = weights !== undefined && weights.length === layer.getWeights().length &&
      weights.every((w, i) => tf.util.arraysEqual(w.shape, layer.getWeights()[i]!.shape));
    if (!fits) throw new Error(`The saved model has no layer "${layer.name}" of this shape: was it built with other settings?`);
    layer.setWeights(weights);
  }
}

/**
 * How far fine-tuning moved the network: the layers taken from `source`, and the new classifier against `initial`
 * (the run's network as built, before any update). Reads every weight once: call it after a run, not during one.
 */
export function measureTransfer(
  source: tf.LayersModel,
  initial: tf.LayersModel,
  tuned: tf.LayersModel,
  last: Stage | null,
): TransferCheck {
  const frozen = new Set(last === null ? [] : STAGES.slice(0, STAGES.indexOf(last) + 1));
  const check: TransferCheck = { frozenMaxChange: 0, trainedMaxChange: 0, headMaxChange: 0 };
  for (const layer of tuned.layers) {
    if (layer.countParams() === 0) continue;
    const head = isClassifierHead(layer.name);
    const before = (head ? initial : source).getLayer(layer.name).getWeights();
    const change = Math.max(
      ...layer.getWeights().map((after, i) => tf.tidy(() => tf.max(tf.abs(tf.sub(after, before[i]!))).dataSync()[0]!)),
    );
    const stage = stageOf(layer.name);
    const kind = head ? 'headMaxChange' : stage !== null && frozen.has(stage) ? 'frozenMaxChange' : 'trainedMaxChange';
    check[kind] = Math.max(check[kind], change);
  }
  return check;
}

/** Stops training the layers of stages b1 up to `last`; the rest, and the classifiers, still learn. */
export function freezeThrough(model: tf.LayersModel, last: Stage): void {
  const frozen = new Set(STAGES.slice(0, STAGES.indexOf(last) + 1));
  for (const layer of model.layers) {
    const stage = stageOf(layer.name);
    if (stage !== null && frozen.has(stage)) layer.trainable = false;
  }
}

/**
 * One model, its optimiser and the device-side data: the step the training loop repeats, and the one the
 * benchmark times. d2l's defaults: Xavier-uniform initialisation, softmax cross-entropy, plain mini-batch SGD.
 */
export class TrainingSession {
  readonly model: tf.LayersModel;
  readonly trainSet: DeviceImageSet;
  readonly testSet: DeviceImageSet;
  private readonly optimizer: TrainingOptimizer;
  private readonly variables: tf.Variable[];
  private readonly stepsPerEpoch: number;
  /** Updates made so far in the run, resumed ones included: the schedule and the augmentation follow it. */
  private step = 0;
  /** The paper's model takes RGB: grey images are repeated on three channels. */
  private readonly channels: number;

  constructor(
    readonly config: TrainConfig,
    private readonly data: ImageDataset,
    transfer?: Transfer,
  ) {
    this.channels = transfer?.inputChannels ?? inputChannels(config.model, data.channels);
    this.model = buildRunNetwork(config, { classCount: data.classes.length, channels: this.channels });
    if (transfer?.source) copyFeatureLayers(transfer.source, this.model);
    if (transfer?.freezeThrough) freezeThrough(this.model, transfer.freezeThrough);
    this.variables = this.model.trainableWeights.map((w) => w.read() as tf.Variable);
    this.optimizer = new TrainingOptimizer(config, this.variables);
    // The subsets are upper bounds: an imported folder may hold fewer images than the settings ask for.
    this.trainSet = new DeviceImageSet(data.train, Math.min(config.trainSubset, data.train.count), data);
    this.testSet = new DeviceImageSet(data.test, Math.min(config.testSubset, data.test.count), data);
    this.stepsPerEpoch = Math.ceil(this.trainSet.count / config.batchSize);
  }

  /** One update on the given training images; the caller owns (and disposes) the two scalars. */
  trainStep(indices: Int32Array): { loss: tf.Scalar; correct: tf.Scalar; dispose(): void } {
    let correct: tf.Scalar | null = null;
    const learningRate = learningRateAt(this.config, this.step, this.stepsPerEpoch);
    const loss = tf.tidy(() => {
      const augment = isAugmenting(this.config)
        ? (raw: tf.Tensor4D) => augmentBatch(raw, this.config, augmentationRandom(this.config.seed, this.step))
        : undefined;
      const { images, labels } = this.trainSet.batch(indices, this.config.resolution, this.channels, augment);
      const { value, grads } = tf.variableGrads(() => {
        const outputs = forward(this.model, images, true);
        correct = tf.keep(countCorrect(mainLogits(outputs), labels));
        return trainingLoss(outputs, labels, this.data.classes.length);
      }, this.variables);
      this.optimizer.apply(this.variables.map((v) => grads[v.name]!), learningRate);
      return value;
    });
    this.step++;
    const kept = correct as unknown as tf.Scalar;
    return {
      loss,
      correct: kept,
      dispose: () => {
        loss.dispose();
        kept.dispose();
      },
    };
  }

  /** Copies of the weights and the optimiser state (one read per tensor, once per epoch). */
  async readState(): Promise<Pick<Checkpoint, 'weights' | 'optimizerState'>> {
    const weights = await Promise.all(layerWeights(this.model).map(async (w) => (await w.read().data()).slice() as Float32Array));
    return { weights, optimizerState: await this.optimizer.getState() };
  }

  /** Continues from a checkpoint: its weights, its optimiser state, and its place in the schedule. */
  resumeFrom(checkpoint: Checkpoint): void {
    loadLayerWeights(this.model, checkpoint.weights, 'The checkpoint does not fit this model: its weights have other shapes.');
    this.optimizer.setState(checkpoint.optimizerState ?? []);
    this.step = checkpoint.step;
  }

  /** The test pass after an epoch: accuracy, confusion matrix and a few of the mistakes. */
  async evaluate(epoch: number, test: LabelledImages): Promise<Evaluation> {
    const predictions = await predictClasses(this.model, this.testSet, this.config.batchSize, this.config.resolution, this.channels);
    return summarizePredictions(epoch, predictions, test, this.data);
  }

  dispose(): void {
    this.optimizer.dispose();
    this.model.dispose();
    this.trainSet.dispose();
    this.testSet.dispose();
  }
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
  const batchesPerEpoch = Math.ceil(trainCount / config.batchSize);

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
  let step = resume?.step ?? 0;
  let examplesSeen = resume?.examplesSeen ?? 0;
  let warmupSeconds = 0;
  let stepsThisSession = 0;
  const runStart = now() - (resume?.elapsedSeconds ?? 0) * 1000;
  let divergence: DivergenceError | null = null;
  let liveReadInFlight = false;
  let lastLiveRead = -Infinity;

  const sampleLiveLoss = (loss: tf.Scalar, epoch: number, batch: number) => {
    liveReadInFlight = true;
    lastLiveRead = now();
    const sampledStep = step;
    const sampledExamples = examplesSeen;
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
            step: sampledStep,
            examplesSeen: sampledExamples,
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
          step++;
          stepsThisSession++;
          examplesSeen += indices.length;
          sums.add(result.loss, result.correct, indices.length);
          if (stepsThisSession === 1) {
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
        const warmupInEpoch = epoch === firstEpoch && batchesPerEpoch > 1 ? warmupSeconds : 0;
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
          step,
          examplesSeen,
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
