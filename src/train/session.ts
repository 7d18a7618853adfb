import * as tf from '@tensorflow/tfjs';
import { type TrainConfig, inputChannels } from '../config/trainConfig';
import type { ImageDataset, LabelledImages } from '../data/dataset';
import { augmentBatch, isAugmenting } from '../data/augment';
import { DeviceImageSet } from '../data/gpuDataset';
import { augmentationRandom } from '../data/random';
import { type Checkpoint, type Evaluation, batchesPerEpoch } from '../domain/training';
import { buildRunNetwork, layerWeights, loadLayerWeights } from '../model/googlenet';
import { summarizePredictions } from './evaluation';
import { registerFusedKernels } from './fusedKernels';
import { countCorrect, crossEntropy } from './metrics';
import { TrainingOptimizer, learningRateAt } from './optimizer';
import { TrainingProgress } from './progress';
import { type Transfer, copyFeatureLayers, freezeThrough } from './transfer';

registerFusedKernels();

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
  }

  /** One update on the given training images; the caller owns (and disposes) the two scalars. */
  trainStep(indices: Int32Array): { loss: tf.Scalar; correct: tf.Scalar; dispose(): void } {
    let correct: tf.Scalar | null = null;
    const { step } = this.progress;
    const learningRate = learningRateAt(this.config, step, this.progress.batchesPerEpoch);
    const loss = tf.tidy(() => {
      const augment = isAugmenting(this.config)
        ? (raw: tf.Tensor4D) => augmentBatch(raw, this.config, augmentationRandom(this.config.seed, step))
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
    this.progress.advance(indices.length);
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
    this.progress.resumeAt(checkpoint);
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
