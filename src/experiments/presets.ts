import { type ConfigDraft, DEFAULT_CONFIG, type TrainConfig } from '../config/trainConfig';
import studyFile from './d2lStudy.json' with { type: 'json' };

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

export type StudyScale = 'faithful' | 'reduced' | 'classroom';

/** The settings a scale or a first visit may replace: the ones scripts/parity/reference_curves.py can build. */
export const SCALED_SETTING_KEYS = [
  'batchSize', 'learningRate', 'epochs', 'trainSubset', 'testSubset', 'resolution', 'width', 'batchNorm', 'bnStats',
] as const satisfies readonly (keyof TrainConfig)[];
export type ScaledSettings = Partial<Pick<TrainConfig, (typeof SCALED_SETTING_KEYS)[number]>>;

interface ScaleSpec {
  label: string;
  /** Replaces d2l's faithful data and model settings; empty for the faithful scale. */
  settings: ScaledSettings;
  epochDivisor: number;
}

/** src/experiments/d2lStudy.json, which the PyTorch reference script reads too (its shape is tested). */
interface StudyFile {
  presets: { learningRate: number; batchSize: number; epochs: number; article: ArticleFigures }[];
  scales: Record<StudyScale, ScaleSpec>;
  firstVisit: ScaledSettings;
}
/** JSON types a choice such as bnStats as any string; readConfig's checks of the scaled settings are in presets.test.ts. */
const STUDY = studyFile as StudyFile & typeof studyFile;

export const presetId = (learningRate: number, batchSize: number) => `d2l-lr${learningRate}-bs${batchSize}`;

export const D2L_STUDY: readonly StudyPreset[] = STUDY.presets.map(({ learningRate, batchSize, epochs, article }) => ({
  id: presetId(learningRate, batchSize),
  label: `lr ${learningRate} · batch ${batchSize} · ${epochs} epochs`,
  config: { ...DEFAULT_CONFIG, learningRate, batchSize, epochs },
  article,
}));

/** One setting that shrinks all five presets alike, so their comparison keeps its meaning. */
export const STUDY_SCALES: Readonly<Record<StudyScale, ScaleSpec>> = STUDY.scales;
export const SCALE_NAMES = Object.keys(STUDY_SCALES) as StudyScale[];

/**
 * What a first visit shows and what a link without settings runs: small enough to leave the ln 10 plateau within
 * a couple of minutes on a laptop GPU (its PyTorch reference says how far it gets). The faithful settings are a
 * preset away.
 */
export const FIRST_VISIT_CONFIG: TrainConfig = { ...DEFAULT_CONFIG, ...STUDY.firstVisit };

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

/** A preset at a scale, with the given seed: every run of a study shares it, and so its initial weights. */
export function scaledPresetConfig(preset: StudyPreset, scale: StudyScale, seed: number): TrainConfig {
  const spec = STUDY_SCALES[scale];
  const config: TrainConfig = { ...preset.config, ...spec.settings, seed };
  return {
    ...config,
    epochs: Math.ceil(preset.config.epochs / spec.epochDivisor),
    batchSize: Math.min(preset.config.batchSize, config.trainSubset),
  };
}

const SCALE_KEYS = ['trainSubset', 'testSubset', 'resolution', 'width', 'batchNorm'] as const;

/** The scale whose data and model settings a config uses, if any (epochs, batch and learning rate aside). */
export function scaleOf(config: Pick<TrainConfig, (typeof SCALE_KEYS)[number]>): StudyScale | undefined {
  return SCALE_NAMES.find((name) => {
    const settings: TrainConfig = { ...DEFAULT_CONFIG, ...STUDY_SCALES[name].settings };
    return SCALE_KEYS.every((key) => settings[key] === config[key]);
  });
}

/** Where a config departs from the faithful d2l data and model, in words ("96×96 → 32×32"). */
export function reductions(config: TrainConfig): string[] {
  const notes: string[] = [];
  if (config.trainSubset !== DEFAULT_CONFIG.trainSubset) notes.push(`${config.trainSubset} of 60000 training images`);
  if (config.testSubset !== DEFAULT_CONFIG.testSubset) notes.push(`${config.testSubset} of 10000 test images`);
  if (config.resolution !== DEFAULT_CONFIG.resolution) notes.push(`${config.resolution}×${config.resolution} input`);
  if (config.width !== DEFAULT_CONFIG.width) notes.push(`width × ${config.width}`);
  if (config.batchNorm !== DEFAULT_CONFIG.batchNorm) notes.push('+BN (batch norm after every convolution)');
  return notes;
}

/** The preset whose learning rate and batch size the form's fields show (any epochs, any scale). */
export function presetOfDraft(draft: Pick<ConfigDraft, 'batchSize' | 'learningRate'>): StudyPreset | undefined {
  return D2L_STUDY.find(
    (p) => p.config.batchSize === Number(draft.batchSize) && p.config.learningRate === Number(draft.learningRate),
  );
}

/**
 * The settings that move the form to a scale: its data and model settings, and the epochs (and batch, capped by
 * the subset) of the preset shown, or of the first preset when the form shows none.
 */
export function settingsAtScale(scale: StudyScale, draft: Pick<ConfigDraft, 'batchSize' | 'learningRate'>): Partial<TrainConfig> {
  const preset = presetOfDraft(draft) ?? D2L_STUDY[0]!;
  const config = scaledPresetConfig(preset, scale, DEFAULT_CONFIG.seed);
  return Object.fromEntries(SCALED_SETTING_KEYS.map((key) => [key, config[key]]));
}
