import { FASHION_MNIST_NAME } from '../../data/fashionMnist';
import type { DatasetShape } from '../../domain/dataset';
import type { Evaluation } from '../../domain/training';
import { Predictor } from '../../train/predict';
import type { DecodeOptions } from '../decodeImage';
import type { PredictSource, PredictionResult } from '../protocol';
import type { Datasets } from './datasets';
import type { Models } from './models';
import type { CheckpointRecords } from './stores';

/** Turns an image file or a drawing into the pixels a network takes (in the browser: decodeImage). */
export type ImageDecoder = (image: Blob, options: DecodeOptions) => Promise<Uint8Array>;

/** The weights a prediction uses, where they come from, and how to decode the image for them. */
interface PredictorChoice {
  /** Names the weights: the same key means the predictor already built can answer. */
  key: string;
  build(): Predictor;
  epoch: number;
  shape: DatasetShape;
  darkGround: boolean;
}

/** Classifies single images with a run's latest weights or a saved model's, keeping the last network it built. */
export class Prediction {
  private cached: { key: string; predictor: Predictor } | null = null;

  constructor(
    private readonly datasets: Datasets,
    private readonly models: Models,
    private readonly checkpoints: () => Promise<CheckpointRecords>,
    private readonly decode: ImageDecoder,
  ) {}

  async predict(source: PredictSource, image: Blob): Promise<PredictionResult> {
    const choice = await this.choose(source);
    const predictor = this.predictorFor(choice);
    const pixels = await this.decode(image, { shape: choice.shape, darkGround: choice.darkGround });
    const top = await predictor.predict(pixels);
    const { classes, side, channels } = choice.shape;
    return { epoch: choice.epoch, top, classes, pixels: [...pixels], side, channels };
  }

  /** A saved model on the test split of the dataset it names (the first images, as many as its run evaluated). */
  async evaluate(modelId: string, datasetId: string | undefined): Promise<Evaluation> {
    const choice = await this.choose({ kind: 'model', modelId });
    const dataset = await this.datasets.datasetFor(datasetId);
    const { classes } = choice.shape;
    if (dataset.classes.length !== classes.length || dataset.classes.some((name, i) => name !== classes[i])) {
      throw new Error(
        `This model knows the classes ${classes.join(', ')}; the dataset to evaluate it on has ${dataset.classes.join(', ')}.`,
      );
    }
    const predictor = this.predictorFor(choice);
    return predictor.evaluate(dataset.test, dataset, Math.min(predictor.config.testSubset, dataset.test.count), choice.epoch);
  }

  dispose(): void {
    this.cached?.predictor.dispose();
    this.cached = null;
  }

  private predictorFor(choice: PredictorChoice): Predictor {
    if (this.cached?.key === choice.key) return this.cached.predictor;
    this.dispose();
    const predictor = choice.build();
    this.cached = { key: choice.key, predictor };
    return predictor;
  }

  private async choose(source: PredictSource): Promise<PredictorChoice> {
    if (source.kind === 'model') {
      const { info, weights } = await this.models.load(source.modelId);
      return {
        key: `model:${info.id}`,
        build: () => new Predictor(info.config, weights, info),
        epoch: info.epoch,
        shape: info,
        darkGround: info.datasetName === FASHION_MNIST_NAME,
      };
    }
    const dataset = await this.datasets.datasetFor(source.datasetId);
    const checkpoint = await (await this.checkpoints()).load(source.runId);
    if (checkpoint === undefined) {
      throw new Error('This run kept no weights (it has no finished epoch, or it finished before weights were kept).');
    }
    return {
      key: `run:${source.runId}:${checkpoint.epoch}`,
      build: () => new Predictor(source.config, checkpoint.weights, dataset, source.inputChannels),
      epoch: checkpoint.epoch,
      shape: dataset,
      // Fashion-MNIST shows bright garments on black; an imported dataset is taken as it comes.
      darkGround: source.datasetId === undefined,
    };
  }
}
