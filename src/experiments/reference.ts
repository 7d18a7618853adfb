import { CONFIG_KEYS, DEFAULT_CONFIG, type TrainConfig } from '../config/trainConfig';
import { type ScaledSettings, type StudyScale, SCALE_NAMES } from './presets';

/** One epoch of a PyTorch reference run, as the app reports its own. */
export interface ReferenceEpoch {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testAccuracy: number;
}

/** A run of scripts/parity/reference_curves.py: a study preset at a scale, or the first-visit settings. */
export interface ReferenceRun {
  kind: 'study' | 'first-visit';
  scale: StudyScale | null;
  /** The preset's id (presetId), for study runs. */
  preset: string | null;
  settings: ScaledSettings & { seed: number };
  examplesPerSecond: number;
  epochs: ReferenceEpoch[];
  /** Where it ran: "AMD EPYC … (CPU)" or a GPU's name; the PyTorch version and its threads. */
  device: string;
  torch: string;
  threads: number;
}

export interface ReferenceFile {
  generator: string;
  runs: ReferenceRun[];
}

/** Served from the app's own origin, like the data. */
export const REFERENCE_PATH = 'reference/pytorch-reference.json';

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

function checkRun(run: unknown, index: number): ReferenceRun {
  const fail = (what: string): never => {
    throw new Error(`Reference run ${index + 1}: ${what}.`);
  };
  if (!isRecord(run)) return fail('not an object');
  if (run.kind !== 'study' && run.kind !== 'first-visit') fail(`unknown kind ${String(run.kind)}`);
  if (run.kind === 'study' && !SCALE_NAMES.includes(run.scale as StudyScale)) fail(`unknown scale ${String(run.scale)}`);
  if (!isRecord(run.settings) || !isNumber(run.settings.seed)) fail('settings without a seed');
  const settings = run.settings as Record<string, unknown>;
  for (const key of Object.keys(settings)) {
    if (!(CONFIG_KEYS as string[]).includes(key)) fail(`unknown setting ${key}`);
    if (typeof settings[key] !== typeof DEFAULT_CONFIG[key as keyof TrainConfig]) fail(`setting ${key} has the wrong type`);
  }
  if (!isNumber(run.examplesPerSecond)) fail('no examples per second');
  if (!Array.isArray(run.epochs) || run.epochs.length === 0) fail('no epochs');
  (run.epochs as unknown[]).forEach((epoch, i) => {
    if (!isRecord(epoch) || epoch.epoch !== i + 1 || !['trainLoss', 'trainAccuracy', 'testAccuracy'].every((k) => isNumber(epoch[k]))) {
      fail(`epoch ${i + 1} is malformed`);
    }
  });
  if (typeof run.device !== 'string' || typeof run.torch !== 'string' || !isNumber(run.threads)) fail('no device');
  return run as unknown as ReferenceRun;
}

/** Checks a parsed reference file whole; a malformed one is refused rather than drawn in part. */
export function parseReferenceFile(json: unknown): ReferenceFile {
  if (!isRecord(json) || typeof json.generator !== 'string' || !Array.isArray(json.runs)) {
    throw new Error('The reference file is not one written by scripts/parity/reference_curves.py.');
  }
  return { generator: json.generator, runs: json.runs.map(checkRun) };
}

/** The full settings a reference run trained with: d2l's faithful ones, replaced where the run says. */
export const referenceConfig = (run: ReferenceRun): TrainConfig => ({ ...DEFAULT_CONFIG, ...run.settings });

/**
 * The reference runs made with a config's settings, the seed aside (tfjs and PyTorch draw different initial weights
 * from one seed anyway); the run with the same seed first.
 */
export function referencesFor(config: TrainConfig, file: ReferenceFile | null): ReferenceRun[] {
  if (file === null) return [];
  const matching = file.runs.filter((run) => {
    const settings = referenceConfig(run);
    return CONFIG_KEYS.every((key) => key === 'seed' || settings[key] === config[key]);
  });
  return matching.sort((a, b) => Number(b.settings.seed === config.seed) - Number(a.settings.seed === config.seed));
}

/** The reference of a study preset at a scale, for the given seed if there is one. */
export function studyReference(file: ReferenceFile | null, scale: StudyScale, preset: string, seed: number): ReferenceRun | undefined {
  const runs = file?.runs.filter((run) => run.kind === 'study' && run.scale === scale && run.preset === preset) ?? [];
  return runs.find((run) => run.settings.seed === seed) ?? runs[0];
}
