import { CONFIG_KEYS } from '../config/trainConfig';
import { type StudyPreset, type StudyScale, scaledPresetConfig } from './presets';
import { latestEpoch } from './runHistory';
import type { RunRecord } from '../domain/run';

/**
 * Whether a run reproduces a preset at a scale: Fashion-MNIST from scratch with every setting of the scaled preset
 * (so the scale's data and model, and none of the ablations), the seed aside, and the scale's epochs or fewer, so
 * that a longer run cannot look better than the study.
 */
export function isStudyRun(run: RunRecord, preset: StudyPreset, scale: StudyScale): boolean {
  if (run.dataset !== null || run.startedFrom !== null) return false;
  const scaled = scaledPresetConfig(preset, scale, run.config.seed);
  return run.config.epochs <= scaled.epochs && CONFIG_KEYS.every((key) => key === 'epochs' || run.config[key] === scaled[key]);
}

/** This browser's run of a preset at a scale with the lowest final training loss, finished or not. */
export function bestStudyRun(runs: RunRecord[], preset: StudyPreset, scale: StudyScale): RunRecord | undefined {
  return runs
    .filter((run) => run.epochs.length > 0 && isStudyRun(run, preset, scale))
    .sort((a, b) => latestEpoch(a)!.trainLoss - latestEpoch(b)!.trainLoss)[0];
}

/** How many pairs of presets a source ranks by test accuracy as the article does, of the pairs it has figures for. */
export interface ArticleOrder {
  kept: number;
  pairs: number;
}

/**
 * The article's lesson as orderings: for every pair of presets that `accuracies` (one per preset, in D2L_STUDY's
 * order; undefined where there is no figure) both cover, whether it ranks them as the article's test accuracies do.
 * A tie keeps no order.
 */
export function articleOrder(presets: readonly StudyPreset[], accuracies: readonly (number | undefined)[]): ArticleOrder {
  let kept = 0;
  let pairs = 0;
  presets.forEach((a, i) => {
    presets.slice(i + 1).forEach((b, offset) => {
      const [x, y] = [accuracies[i], accuracies[i + 1 + offset]];
      if (x === undefined || y === undefined) return;
      pairs++;
      if (Math.sign(x - y) !== 0 && Math.sign(x - y) === Math.sign(a.article.testAccuracy - b.article.testAccuracy)) kept++;
    });
  });
  return { kept, pairs };
}
