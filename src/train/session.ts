import * as tf from '@tensorflow/tfjs';
import { type TrainConfig, inputChannels } from '../config/trainConfig';
import type { ImageDataset, LabelledImages } from '../data/dataset';
import { augmentBatch, augmentationBoxes, isAugmenting } from '../data/augment';
import { DeviceImageSet } from '../data/gpuDataset';
import { augmentationRandom } from '../data/random';
import { type Checkpoint, type Evaluation, batchesPerEpoch } from '../domain/training';
import { RUNNING_AVERAGE_MOMENTUM, TrainingBatchNormalization } from '../model/batchNorm';
import { buildRunNetwork, layerWeights, loadLayerWeights } from '../model/googlenet';
import { estimateTrainingMemory, summarizeModel } from '../model/summary';
import { summarizePredictions } from './evaluation';
import { readTogether } from './readTogether';
import { StepReplay, replaysSteps } from './webgpuStepReplay';
import { countCorrect, crossEntropy } from './metrics';
import { TrainingOptimizer, learningRateAt } from './optimizer';
import { TrainingProgress } from './progress';
import { type Transfer, copyFeatureLayers, freezeThrough } from './transfer';

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

/** Images per forward pass when batch norm's statistics are recomputed (scripts/parity/reference_curves.py uses the same). */
export const BN_STATS_BATCH = 500;

/** Bytes the test pass may give its largest activation: enough for hundreds of small images per forward pass. */
const TEST_PASS_BYTES = 32 * 2 ** 20;
const MAX_TEST_BATCH = 1024;

/**
 * Test images per forward pass: as many as fit TEST_PASS_BYTES at the network's largest activation (a few hundred
 * at the quick scales), never fewer than the training batch. Per pass the GPU pays a few hundred dispatches, so a
 * test pass in batch 8's steps would cost more than the epoch's training.
 */
export function testBatchSize(model: tf.LayersModel, trainingBatch: number): number {
  const perImage = estimateTrainingMemory(summarizeModel(model), 1).largestTensor.bytes;
  return Math.max(trainingBatch, Math.min(MAX_TEST_BATCH, Math.floor(TEST_PASS_BYTES / perImage)));
}

/** The predicted class of each image of `set`, batch by batch, on the device (int32): nothing is read. */
export function predictOnDevice(model: tf.LayersModel, set: DeviceImageSet, batchSize: number, resolution: number, channels: number): tf.Tensor1D {
  return tf.tidy(() => {
    const batches: tf.Tensor1D[] = [];
    for (let start = 0; start < set.count; start += batchSize) {
      const end = Math.min(start + batchSize, set.count);
      const indices = Int32Array.from({ length: end - start }, (_, i) => start + i);
      batches.push(
        tf.tidy(() => {
          const { images } = set.batch(indices, resolution, channels);
          return tf.argMax(mainLogits(forward(model, images, false)), 1) as tf.Tensor1D;
        }),
      );
    }
    return batches.length === 1 ? batches[0]! : tf.concat(batches);
  });
}

/** The predicted class of each image of `set`, read back once. */
export async function predictClasses(model: tf.LayersModel, set: DeviceImageSet, batchSize: number, resolution: number, channels: number): Promise<Int32Array> {
  const predictions = predictOnDevice(model, set, testBatchSize(model, batchSize), resolution, channels);
  try {
    return (await predictions.data()) as Int32Array;
  } finally {
    predictions.dispose();
  }
}

/** A step's loss and count of correct predictions, as scalars on the device. */
interface StepOutputs {
  loss: tf.Scalar;
  correct: tf.Scalar;
}

export interface StepResult extends StepOutputs {
  dispose(): void;
}

const withDispose = (outputs: StepOutputs): StepResult => ({ ...outputs, dispose: () => tf.dispose([outputs.loss, outputs.correct]) });

/** New handles on a recorded step's outputs, which the next replay overwrites where they lie. */
const clonesOf = ({ loss, correct }: StepOutputs): StepResult => withDispose({ loss: loss.clone(), correct: correct.clone() });

/** A step's inputs from the CPU: indices (int32), the learning rate, and the augmentation's boxes when there is one. */
type StepInputs = [Int32Array, Float32Array] | [Int32Array, Float32Array, Float32Array];

/**
 * One model, its optimiser and the device-side data: the step the training loop repeats, and the one the
 * benchmark times. Initialisation and optimiser come from the config (d2l's defaults: Xavier-uniform, plain
 * mini-batch SGD); the loss is softmax cross-entropy.
 */
export class TrainingSession {
  readonly model: tf.LayersModel;
  readonly trainSet: DeviceImageSet;
  readonly testSet: DeviceImageSet;
  private readonly optimizer: TrainingOptimizer;
  private readonly variables: tf.Variable[];
  /** Updates and examples so far in the run, resumed ones included: the schedule and the augmentation follow it. */
  readonly progress: TrainingProgress;
  /** The paper's model takes RGB: grey images are repeated on three channels. */
  private readonly channels: number;
  private readonly testBatch: number;
  /** The recorded step (WebGPU only); its outputs are this session's until the recording is replaced or disposed. */
  private readonly replay: StepReplay<StepOutputs> | null;

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
    this.progress = new TrainingProgress(batchesPerEpoch(this.trainSet.count, config.batchSize));
    this.testBatch = testBatchSize(this.model, config.batchSize);
    for (const layer of this.batchNormLayers()) layer.updatesRunningAverages = config.bnStats !== 'recompute';
    this.replay = tf.getBackend() === 'webgpu' ? new StepReplay(tf.backend()) : null;
  }

  /**
   * One update on the given training images; the caller owns (and disposes) the two scalars. On WebGPU, under a
   * policy that replays steps, the first full batch's step is recorded and later full batches replay it.
   */
  trainStep(indices: Int32Array): StepResult {
    const { step } = this.progress;
    const inputs = this.stepInputs(indices, step);
    this.progress.advance(indices.length);
    const replay = this.replayFor(indices.length);
    const recorded = replay?.step ?? null;
    if (replay && recorded !== null && replay.isCurrent()) {
      replay.replay(inputs, [recorded.outputs.loss, recorded.outputs.correct]);
      return clonesOf(recorded.outputs);
    }
    if (recorded !== null) tf.dispose([recorded.outputs.loss, recorded.outputs.correct]);
    const tensors = this.inputTensors(inputs);
    try {
      if (replay === null) return withDispose(this.computeStep(tensors));
      const kept = [...this.stateTensors(), ...this.trainSet.deviceTensors];
      return clonesOf(replay.record(tensors, kept, () => this.computeStep(tensors)));
    } finally {
      tf.dispose(tensors);
    }
  }

  /** What a step takes from the CPU: the batch's indices, the learning rate and, when augmenting, the crop boxes. */
  private stepInputs(indices: Int32Array, step: number): StepInputs {
    const { config } = this;
    const rate = Float32Array.of(learningRateAt(config, step, this.progress.batchesPerEpoch));
    if (!isAugmenting(config)) return [indices, rate];
    return [indices, rate, augmentationBoxes(indices.length, this.data.side, config, augmentationRandom(config.seed, step))];
  }

  private inputTensors([indices, rate, boxes]: StepInputs): tf.Tensor[] {
    const tensors: tf.Tensor[] = [tf.tensor1d(indices, 'int32'), tf.tensor1d(rate)];
    if (boxes) tensors.push(tf.tensor2d(boxes, [indices.length, 4]));
    return tensors;
  }

  /** The recording for this step: WebGPU under a replaying policy, a full batch, and nothing drawn on the CPU. */
  private replayFor(batch: number): StepReplay<StepOutputs> | null {
    if (this.replay === null || batch !== this.config.batchSize || !replaysSteps() || tf.getBackend() !== 'webgpu') return null;
    // Dropout draws its masks on the CPU inside the step (the paper's model and its auxiliary heads have it), and
    // Adam keeps its state out of place.
    const { dropout, auxHeads, optimizer } = this.config;
    return dropout || auxHeads || optimizer === 'adam' ? null : this.replay;
  }

  /** The step itself, from its input tensors (which stay the caller's). */
  private computeStep([indices, rate, boxes]: tf.Tensor[]): StepOutputs {
    let correct: tf.Scalar | null = null;
    const loss = tf.tidy(() => {
      const augment = boxes ? (raw: tf.Tensor4D) => augmentBatch(raw, this.config, boxes as tf.Tensor2D) : undefined;
      const { images, labels } = this.trainSet.batch(indices as tf.Tensor1D, this.config.resolution, this.channels, augment);
      const { value, grads } = tf.variableGrads(() => {
        const outputs = forward(this.model, images, true);
        correct = tf.keep(countCorrect(mainLogits(outputs), labels));
        return trainingLoss(outputs, labels, this.data.classes.length);
      }, this.variables);
      this.optimizer.apply(
        this.variables.map((v) => grads[v.name]!),
        rate as tf.Scalar,
      );
      return value;
    });
    return { loss, correct: correct as unknown as tf.Scalar };
  }

  /** Every tensor a checkpoint holds: the weights in layerWeights order, then the optimiser's slots. */
  stateTensors(): tf.Tensor[] {
    return [...layerWeights(this.model).map((w) => w.read()), ...this.optimizer.slotTensors()];
  }

  /** A checkpoint's weights and optimiser state from the values of stateTensors(), in its order. */
  stateFrom(values: Float32Array[]): Pick<Checkpoint, 'weights' | 'optimizerState'> {
    const weightCount = layerWeights(this.model).length;
    return { weights: values.slice(0, weightCount), optimizerState: this.optimizer.stateFrom(values.slice(weightCount)) };
  }

  /** Copies of the weights and the optimiser state, in one read. */
  async readState(): Promise<Pick<Checkpoint, 'weights' | 'optimizerState'>> {
    return this.stateFrom(await readTogether(this.stateTensors()));
  }

  /**
   * Batch norm's statistics recomputed over the run's training images, as torch.optim.swa_utils.update_bn does:
   * forward passes in training mode (no augmentation), BN_STATS_BATCH images at a time in order, each layer's running
   * mean and variance the cumulative average of the batches' means and unbiased variances. All on the device.
   */
  recomputeBatchNormStatistics(): void {
    const layers = this.batchNormLayers();
    if (layers.length === 0) return;
    const batch = Math.min(BN_STATS_BATCH, this.testBatch);
    const updating = layers.map((layer) => layer.updatesRunningAverages);
    for (const layer of layers) layer.updatesRunningAverages = true;
    try {
      for (let k = 1, start = 0; start < this.trainSet.count; k++, start += batch) {
        // The k-th batch's statistics enter the running values with weight 1/k: a cumulative average.
        for (const layer of layers) layer.momentum = (k - 1) / k;
        const indices = Int32Array.from({ length: Math.min(batch, this.trainSet.count - start) }, (_, i) => start + i);
        tf.tidy(() => {
          const { images } = this.trainSet.batch(indices, this.config.resolution, this.channels);
          forward(this.model, images, true);
        });
      }
    } finally {
      layers.forEach((layer, i) => {
        layer.momentum = RUNNING_AVERAGE_MOMENTUM;
        layer.updatesRunningAverages = updating[i]!;
      });
    }
  }

  private batchNormLayers(): TrainingBatchNormalization[] {
    return this.model.layers.filter((layer): layer is TrainingBatchNormalization => layer instanceof TrainingBatchNormalization);
  }

  /** The predicted class of each test image, on the device, in test passes of testBatchSize images. */
  predictTestSet(): tf.Tensor1D {
    return predictOnDevice(this.model, this.testSet, this.testBatch, this.config.resolution, this.channels);
  }

  /** The test pass's accuracy, confusion matrix and a few of the mistakes, from its predictions. */
  evaluationFrom(epoch: number, predictions: Int32Array, test: LabelledImages): Evaluation {
    return summarizePredictions(epoch, predictions, test, this.data);
  }

  /** Continues from a checkpoint: its weights, its optimiser state, and its place in the schedule. */
  resumeFrom(checkpoint: Checkpoint): void {
    loadLayerWeights(this.model, checkpoint.weights, 'The checkpoint does not fit this model: its weights have other shapes.');
    this.optimizer.setState(checkpoint.optimizerState ?? []);
    this.progress.resumeAt(checkpoint);
  }

  dispose(): void {
    const recorded = this.replay?.step;
    if (recorded) tf.dispose([recorded.outputs.loss, recorded.outputs.correct]);
    this.replay?.dispose();
    this.optimizer.dispose();
    this.model.dispose();
    this.trainSet.dispose();
    this.testSet.dispose();
  }
}
