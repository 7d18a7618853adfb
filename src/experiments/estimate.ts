import type { TrainConfig } from '../config/trainConfig';
import { D2L_STUDY, type StudyScale, scaledPresetConfig } from './presets';

/**
 * Training examples per second of this app on a software WebGPU adapter (SwiftShader, Chromium 156, 2-core AMD
 * EPYC), per scale's network. Classroom: the WebGPU browser test (4.4 under load, ≈ 8 on a quiet machine); faithful:
 * `npm run bench` (0.2, docs/performance.md); Reduced: not measured, interpolated from the two by its 18.8 M
 * multiply-accumulates per image. Real GPUs are far faster; these only size what a machine without one can do.
 */
export const SOFTWARE_ADAPTER_RATES: Record<StudyScale, number> = { classroom: 8, reduced: 1.5, faithful: 0.2 };

/** A test pass costs about a third of a training pass per image (forward only). */
const EVALUATION_SHARE = 1 / 3;

/** The work of a run in training-example equivalents: its epochs of training plus its test passes. */
export const runWork = (config: TrainConfig): number =>
  config.epochs * (config.trainSubset + EVALUATION_SHARE * config.testSubset);

/** The five presets at a scale, run one after another. */
export const studyWork = (scale: StudyScale): number =>
  D2L_STUDY.reduce((sum, preset) => sum + runWork(scaledPresetConfig(preset, scale, 1)), 0);

export const estimatedSeconds = (work: number, examplesPerSecond: number): number => work / examplesPerSecond;
