import { type ConfigDraft, DEFAULT_CONFIG, type TrainConfig } from '../config/trainConfig';

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

/** The study preset whose learning rate and batch size a config uses (each pair occurs once in the study). */
export function matchingPreset(config: TrainConfig): StudyPreset | undefined {
  return D2L_STUDY.find((p) => p.config.learningRate === config.learningRate && p.config.batchSize === config.batchSize);
}

/** The preset the form's fields show, matched on all three optimisation settings, valid or not as a whole. */
export function presetShown(draft: Pick<ConfigDraft, 'batchSize' | 'learningRate' | 'epochs'>): StudyPreset | undefined {
  return D2L_STUDY.find(
    (p) =>
      p.config.batchSize === Number(draft.batchSize) &&
      p.config.learningRate === Number(draft.learningRate) &&
      p.config.epochs === Number(draft.epochs),
  );
}

export type StudyScale = 'faithful' | 'reduced' | 'classroom';

interface ScaleSpec {
  label: string;
  /** Replaces the faithful data and model settings; null keeps them. */
  reduce: Pick<TrainConfig, 'trainSubset' | 'testSubset' | 'resolution' | 'width'> | null;
  epochDivisor: number;
}

/** One setting that shrinks all five presets alike, so their comparison keeps its meaning. */
export const STUDY_SCALES: Record<StudyScale, ScaleSpec> = {
  faithful: { label: 'Faithful (96×96, full data: hours)', reduce: null, epochDivisor: 1 },
  reduced: {
    label: 'Reduced (48×48, width ½, 12,000 images, epochs ÷ 5)',
    reduce: { trainSubset: 12_000, testSubset: 2_000, resolution: 48, width: 0.5 },
    epochDivisor: 5,
  },
  classroom: {
    label: 'Classroom (32×32, width ¼, 2,000 images, epochs ÷ 10)',
    reduce: { trainSubset: 2_000, testSubset: 500, resolution: 32, width: 0.25 },
    epochDivisor: 10,
  },
};

/** A preset at a scale, with the given seed: every run of a study shares it, and so its initial weights. */
export function scaledPresetConfig(preset: StudyPreset, scale: StudyScale, seed: number): TrainConfig {
  const spec = STUDY_SCALES[scale];
  return {
    ...preset.config,
    ...spec.reduce,
    epochs: Math.ceil(preset.config.epochs / spec.epochDivisor),
    batchSize: Math.min(preset.config.batchSize, spec.reduce?.trainSubset ?? preset.config.batchSize),
    seed,
  };
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
