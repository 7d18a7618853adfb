import { DEFAULT_CONFIG, type TrainConfig } from '../config/trainConfig';

/** Figures reported by "Dive into Deep Learning" for GoogLeNet on Fashion-MNIST at 96×96 on a CUDA GPU. */
export interface ArticleFigures {
  trainLoss: number;
  trainAccuracy: number;
  testAccuracy: number;
  examplesPerSecond: number;
}

export interface StudyPreset {
  id: string;
  label: string;
  config: TrainConfig;
  article: ArticleFigures;
}

const preset = (
  learningRate: number,
  batchSize: number,
  epochs: number,
  article: ArticleFigures,
): StudyPreset => ({
  id: `d2l-lr${learningRate}-bs${batchSize}`,
  label: `lr ${learningRate} · batch ${batchSize} · ${epochs} epochs`,
  config: { ...DEFAULT_CONFIG, learningRate, batchSize, epochs },
  article,
});

export const D2L_STUDY: readonly StudyPreset[] = [
  preset(0.05, 64, 25, { trainLoss: 0.101, trainAccuracy: 0.961, testAccuracy: 0.913, examplesPerSecond: 1961 }),
  preset(0.02, 512, 20, { trainLoss: 0.431, trainAccuracy: 0.838, testAccuracy: 0.722, examplesPerSecond: 2767 }),
  preset(0.02, 128, 20, { trainLoss: 0.243, trainAccuracy: 0.908, testAccuracy: 0.877, examplesPerSecond: 2170 }),
  preset(0.02, 8, 10, { trainLoss: 0.163, trainAccuracy: 0.939, testAccuracy: 0.921, examplesPerSecond: 325 }),
  preset(0.05, 1000, 50, { trainLoss: 0.269, trainAccuracy: 0.897, testAccuracy: 0.882, examplesPerSecond: 2898 }),
];

/** The study preset whose optimisation settings (lr, batch, epochs) a config uses, if any. */
export function matchingPreset(config: TrainConfig): StudyPreset | undefined {
  return D2L_STUDY.find(
    (p) =>
      p.config.learningRate === config.learningRate &&
      p.config.batchSize === config.batchSize &&
      p.config.epochs === config.epochs,
  );
}

/** Where a config departs from the faithful d2l data and model, in words ("96×96 → 32×32"). */
export function reductions(config: TrainConfig): string[] {
  const notes: string[] = [];
  if (config.trainSubset !== DEFAULT_CONFIG.trainSubset) notes.push(`${config.trainSubset} of 60000 training images`);
  if (config.testSubset !== DEFAULT_CONFIG.testSubset) notes.push(`${config.testSubset} of 10000 test images`);
  if (config.resolution !== DEFAULT_CONFIG.resolution) notes.push(`${config.resolution}×${config.resolution} input`);
  if (config.width !== DEFAULT_CONFIG.width) notes.push(`width × ${config.width}`);
  return notes;
}
