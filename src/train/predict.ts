import * as tf from '@tensorflow/tfjs';
import { type TrainConfig, inputChannels } from '../config/trainConfig';
import { FASHION_MNIST_SHAPE } from '../data/fashionMnist';
import { DeviceImageSet } from '../data/gpuDataset';
import { buildRunNetwork, loadLayerWeights } from '../model/googlenet';
import type { DatasetShape } from '../domain/dataset';
import type { LabelledImages } from '../data/dataset';
import type { Evaluation } from '../domain/training';
import { summarizePredictions } from './evaluation';
import { predictClasses } from './session';

export interface RankedClass {
  classIndex: number;
  probability: number;
}

export const TOP_K = 3;

/** A trained network ready to classify single images: built from a run's or a saved model's config and weights. */
export class Predictor {
  private readonly model: tf.LayersModel;

  constructor(
    readonly config: TrainConfig,
    weights: Float32Array[],
    readonly shape: DatasetShape = FASHION_MNIST_SHAPE,
    /** A fine-tuned network keeps its source's input channels; the image is converted to them. */
    private readonly channels = inputChannels(config.model, shape.channels),
  ) {
    this.model = buildRunNetwork(config, { classCount: shape.classes.length, channels });
    try {
      loadLayerWeights(this.model, weights, "The saved weights do not fit this run's network.");
    } catch (error) {
      this.model.dispose();
      throw error;
    }
  }

  /**
   * The top classes for one image stored as the dataset stores them (side × side × channels, 0–255), preprocessed as
   * in training. Only the main classifier counts: auxiliary heads are a training aid.
   */
  async predict(pixels: Uint8Array): Promise<RankedClass[]> {
    const image = new DeviceImageSet({ count: 1, images: pixels, labels: Uint8Array.of(0) }, 1, this.shape);
    try {
      const probabilities = tf.tidy(() => {
        const { images } = image.batch(Int32Array.of(0), this.config.resolution, this.channels);
        const outputs = this.model.apply(images, { training: false }) as tf.Tensor | tf.Tensor[];
        return tf.softmax((Array.isArray(outputs) ? outputs[0]! : outputs) as tf.Tensor2D);
      });
      const values = await probabilities.data();
      probabilities.dispose();
      return [...values]
        .map((probability, classIndex) => ({ classIndex, probability }))
        .sort((a, b) => b.probability - a.probability)
        .slice(0, TOP_K);
    } finally {
      image.dispose();
    }
  }

  /**
   * The main classifier on the first `count` test images of a dataset stored as `data`: the confusion matrix and
   * some mistakes, as a run's epoch reports them.
   */
  async evaluate(test: LabelledImages, data: DatasetShape, count: number, epoch: number): Promise<Evaluation> {
    const testSet = new DeviceImageSet(test, count, data);
    try {
      const predictions = await predictClasses(this.model, testSet, this.config.batchSize, this.config.resolution, this.channels);
      return summarizePredictions(epoch, predictions, test, data);
    } finally {
      testSet.dispose();
    }
  }

  dispose(): void {
    this.model.dispose();
  }
}
