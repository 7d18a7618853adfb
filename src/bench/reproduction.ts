import { parseArgs } from 'node:util';
import type { TrainConfig } from '../config/trainConfig';
import {
  D2L_STUDY,
  FIRST_VISIT_CONFIG,
  SCALE_NAMES,
  type StudyPreset,
  type StudyScale,
  reductions,
  scaledPresetConfig,
} from '../experiments/presets';
import {
  REFERENCE_PATH,
  type ReferenceEpoch,
  type ReferenceFile,
  type ReferenceRun,
  parseReferenceFile,
  referencesFor,
} from '../experiments/reference';
import type { EpochReport } from '../domain/training';

/** What `npm run reproduce` trains: the first-visit settings, or a study preset at a scale. */
export type RunChoice = { kind: 'first-visit' } | { kind: 'preset'; preset: StudyPreset; scale: StudyScale };

/** node: tfjs's cpu backend; dawn: WebGPU in Node (the webgpu package); chromium: WebGPU in headless Chromium. */
export type ReproduceRuntime = 'node' | 'wasm' | 'dawn' | 'chromium';
const RUNTIMES: readonly ReproduceRuntime[] = ['node', 'wasm', 'dawn', 'chromium'];

export interface ReproduceOptions {
  run: RunChoice;
  seeds: number[];
  runtime: ReproduceRuntime;
  /** Where the PyTorch reference file is read from (public/ by default, as the app serves it). */
  referencePath: string;
  /** Where Fashion-MNIST's four files are read from in Node (public/data/fashion-mnist by default). */
  dataDir: string;
  json: string | null;
}

/** A mistake in the command line or in what it asks for: printed as it is, with exit status 1. */
export class ReproduceError extends Error {
  override name = 'ReproduceError';
}

export const DEFAULT_REFERENCE_FILE = `public/${REFERENCE_PATH}`;
export const DEFAULT_DATA_DIR = 'public/data/fashion-mnist';
const DEFAULT_SEEDS = '1,2,3';

const presetList = () => D2L_STUDY.map((p, i) => `${i + 1} = ${p.id}`).join(', ');

function parseRun(run: string | undefined, scale: string | undefined): RunChoice {
  if (run === undefined) {
    throw new ReproduceError(`choose what to run: --run first-visit, or a d2l preset by id or number (${presetList()})`);
  }
  if (run === 'first-visit') {
    if (scale !== undefined) throw new ReproduceError('--scale applies to the d2l presets; first-visit has settings of its own');
    return { kind: 'first-visit' };
  }
  const preset = /^[1-9]$/.test(run) ? D2L_STUDY[Number(run) - 1] : D2L_STUDY.find((p) => p.id === run);
  if (preset === undefined) throw new ReproduceError(`unknown run "${run}"; choose first-visit or a d2l preset (${presetList()})`);
  const chosenScale = scale ?? 'classroom';
  if (!(SCALE_NAMES as string[]).includes(chosenScale)) {
    throw new ReproduceError(`unknown scale "${chosenScale}"; choose ${SCALE_NAMES.join(', ')}`);
  }
  return { kind: 'preset', preset, scale: chosenScale as StudyScale };
}

function parseSeeds(text: string): number[] {
  const seeds = text.split(',').map((s) => (s.trim() === '' ? NaN : Number(s)));
  // The range of the app's seed field, so every seed here is one the app can be given too.
  if (seeds.some((s) => !Number.isInteger(s) || s < 0 || s > 2 ** 31 - 1)) {
    throw new ReproduceError(`--seeds must be non-negative integers separated by commas, not "${text}"`);
  }
  if (new Set(seeds).size !== seeds.length) throw new ReproduceError(`--seeds lists a seed twice: "${text}"`);
  return seeds;
}

function readOptions(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        run: { type: 'string' },
        scale: { type: 'string' },
        seeds: { type: 'string', default: DEFAULT_SEEDS },
        runtime: { type: 'string', default: 'node' },
        reference: { type: 'string', default: DEFAULT_REFERENCE_FILE },
        data: { type: 'string', default: DEFAULT_DATA_DIR },
        json: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    // Node's own wording ("Unknown option '--epochs'…") is clear; only the kind of error changes.
    throw new ReproduceError((error as Error).message);
  }
}

/** The command line, checked whole; 'help' when --help asks for the usage instead. */
export function parseReproduceArgs(argv: string[]): ReproduceOptions | 'help' {
  const values = readOptions(argv);
  if (values.help) return 'help';
  const run = parseRun(values.run, values.scale);
  const seeds = parseSeeds(values.seeds);
  const runtime = RUNTIMES.find((r) => r === values.runtime);
  if (runtime === undefined) {
    throw new ReproduceError(
      `unknown runtime "${values.runtime}"; choose node (tfjs cpu), wasm (tfjs wasm in Node), dawn (WebGPU in Node) or chromium (WebGPU in the browser)`,
    );
  }
  return { run, seeds, runtime, referencePath: values.reference, dataDir: values.data, json: values.json ?? null };
}

/** The settings the app runs for a choice and a seed: exactly what its first visit or its study queue would. */
export function configFor(run: RunChoice, seed: number): TrainConfig {
  return run.kind === 'first-visit' ? { ...FIRST_VISIT_CONFIG, seed } : scaledPresetConfig(run.preset, run.scale, seed);
}

export function describeRun(run: RunChoice): string {
  const config = configFor(run, 0);
  const what = run.kind === 'first-visit' ? 'first-visit settings' : `${run.preset.id} at the ${run.scale} scale`;
  const settings = [`batch ${config.batchSize}`, `lr ${config.learningRate}`, `${config.epochs} epochs`, ...reductions(config)];
  return `${what} (${settings.join(', ')})`;
}

/** Reads and checks the reference file; every way it can be unusable is said with its path and the way out. */
export async function loadReferenceFile(path: string, readText: (path: string) => Promise<string>): Promise<ReferenceFile> {
  let text: string;
  try {
    text = await readText(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new ReproduceError(
      `no reference file at ${path}; write it with /usr/bin/python3 scripts/parity/reference_curves.py, or pass --reference FILE`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ReproduceError(`${path} is not JSON: ${(error as Error).message}`);
  }
  try {
    return parseReferenceFile(json);
  } catch (error) {
    throw new ReproduceError(`${path}: ${(error as Error).message}`);
  }
}

/** One seed's app run beside the reference run it is compared with. */
export interface SeedPlan {
  seed: number;
  config: TrainConfig;
  /** The reference with the same seed where the file has one, else another seed's. */
  reference: ReferenceRun;
}

/**
 * Pairs every seed with its reference before anything trains, so a missing reference is reported at once rather
 * than after minutes of training.
 */
export function planSeeds(options: ReproduceOptions, file: ReferenceFile): SeedPlan[] {
  return options.seeds.map((seed) => {
    const config = configFor(options.run, seed);
    const reference = referencesFor(config, file)[0];
    if (reference === undefined) {
      const write =
        options.run.kind === 'first-visit'
          ? `--seeds ${options.seeds.join(',')}`
          : `--scale ${options.run.scale} --seeds ${options.seeds.join(',')}`;
      throw new ReproduceError(
        `${options.referencePath} has no reference run for the ${describeRun(options.run)}; ` +
          `write one with: /usr/bin/python3 scripts/parity/reference_curves.py ${write}`,
      );
    }
    return { seed, config, reference };
  });
}

/** Every reference run with the settings of a plan, whatever its seed: the reference side of the band. */
export function referenceRuns(options: ReproduceOptions, file: ReferenceFile): ReferenceRun[] {
  return [...referencesFor(configFor(options.run, options.seeds[0]!), file)].sort((a, b) => a.settings.seed - b.settings.seed);
}

/** The figures of an app epoch that the comparison uses (what the worker posts for each epoch). */
export type AppEpoch = Pick<EpochReport, 'epoch' | 'trainLoss' | 'trainAccuracy' | 'testAccuracy' | 'examplesPerSecond' | 'elapsedSeconds'>;

export interface SeedResult extends SeedPlan {
  /** Which engine trained it: "tfjs cpu in Node v20.…" or "WebGPU on … in Chromium …". */
  runtime: string;
  epochs: AppEpoch[];
  /** The first step, shader compilation included. */
  warmupSeconds: number;
}

const percent = (value: number) => `${(100 * value).toFixed(1)} %`;
const points = (value: number) => `${value >= 0 ? '+' : '−'}${Math.abs(100 * value).toFixed(1)} points`;

function lastEpoch<T>(epochs: readonly T[]): T {
  const last = epochs[epochs.length - 1];
  if (last === undefined) throw new Error('a run without epochs has no final accuracy');
  return last;
}

export const finalTestAccuracy = (epochs: readonly (AppEpoch | ReferenceEpoch)[]): number => lastEpoch(epochs).testAccuracy;

/** Columns padded to the widest cell: readable in a terminal and valid Markdown for the README. */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padStart(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => `${'-'.repeat(w + 1)}:`).join('|')}|`, ...rows.map(line)].join('\n');
}

const EPOCH_HEADER = ['epoch', 'app train loss', 'app train acc', 'app test acc', 'ref train loss', 'ref train acc', 'ref test acc'];

/** The per-epoch table of one seed, the reference beside it, and the difference in final test accuracy. */
export function seedReport(result: SeedResult): string {
  const { reference } = result;
  const count = Math.max(result.epochs.length, reference.epochs.length);
  const rows = Array.from({ length: count }, (_, i) => {
    const app = result.epochs[i];
    const ref = reference.epochs[i];
    return [
      String(i + 1),
      app ? app.trainLoss.toFixed(4) : '—',
      app ? percent(app.trainAccuracy) : '—',
      app ? percent(app.testAccuracy) : '—',
      ref ? ref.trainLoss.toFixed(4) : '—',
      ref ? percent(ref.trainAccuracy) : '—',
      ref ? percent(ref.testAccuracy) : '—',
    ];
  });
  const last = lastEpoch(result.epochs);
  const refSeed =
    reference.settings.seed === result.seed
      ? `seed ${reference.settings.seed}`
      : `seed ${reference.settings.seed} (the file has no run with seed ${result.seed})`;
  const app = last.testAccuracy;
  const ref = finalTestAccuracy(reference.epochs);
  return [
    `Seed ${result.seed}: app on ${result.runtime}, ${last.elapsedSeconds.toFixed(0)} s ` +
      `(first step ${result.warmupSeconds.toFixed(1)} s, last epoch ${last.examplesPerSecond.toFixed(1)} ex/s); ` +
      `reference ${refSeed}, PyTorch ${reference.torch} on ${reference.device}, ${reference.examplesPerSecond} ex/s`,
    markdownTable(EPOCH_HEADER, rows),
    `Final test accuracy: app ${percent(app)}, reference ${percent(ref)}; app − reference ${points(app - ref)}`,
  ].join('\n');
}

export interface Band {
  min: number;
  max: number;
  mean: number;
}

export function band(values: readonly number[]): Band {
  if (values.length === 0) throw new Error('a band needs at least one value');
  return {
    min: Math.min(...values),
    max: Math.max(...values),
    mean: values.reduce((a, b) => a + b, 0) / values.length,
  };
}

export interface Bands {
  app: Band;
  appSeeds: number[];
  reference: Band;
  referenceSeeds: number[];
  /** Whether the two ranges share any accuracy: the weakest agreement one can ask of runs from other weights. */
  overlap: boolean;
}

export function bandsOf(results: readonly SeedResult[], references: readonly ReferenceRun[]): Bands {
  const app = band(results.map((r) => finalTestAccuracy(r.epochs)));
  const reference = band(references.map((r) => finalTestAccuracy(r.epochs)));
  return {
    app,
    appSeeds: results.map((r) => r.seed),
    reference,
    referenceSeeds: references.map((r) => r.settings.seed),
    overlap: app.min <= reference.max && reference.min <= app.max,
  };
}

const bandText = (b: Band) => `${percent(b.min)} – ${percent(b.max)} (mean ${percent(b.mean)})`;

/** The closing lines: each side's range of final test accuracy, and whether they meet. */
export function bandsReport(bands: Bands): string {
  const gap = bands.app.mean - bands.reference.mean;
  return [
    'Final test accuracy across seeds (tfjs and PyTorch draw different initial weights from one seed):',
    `  app,       seeds ${bands.appSeeds.join(', ')}: ${bandText(bands.app)}`,
    `  reference, seeds ${bands.referenceSeeds.join(', ')}: ${bandText(bands.reference)}`,
    `  means differ by ${points(gap)}; the ranges ${bands.overlap ? 'overlap' : 'do not overlap'}`,
  ].join('\n');
}
