import { readFile, stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../config/trainConfig';
import { D2L_STUDY, FIRST_VISIT_CONFIG, SCALE_NAMES, STUDY_SCALES, scaledPresetConfig } from './presets';
import { type ReferenceFile, parseReferenceFile, referenceConfig, referencesFor, studyReference } from './reference';

const FILE = new URL('../../public/reference/pytorch-reference.json', import.meta.url);
const shipped = async (): Promise<ReferenceFile> => parseReferenceFile(JSON.parse(await readFile(FILE, 'utf8')));
const SEED = DEFAULT_CONFIG.seed;
const last = <T>(items: T[]): T => items[items.length - 1]!;

describe('the shipped PyTorch references', () => {
  it('stay small', async () => {
    expect((await stat(FILE)).size).toBeLessThan(1_000_000);
  });

  it('cover every preset at every scale but the faithful one, with exactly the settings the app runs there', async () => {
    const file = await shipped();
    for (const scale of SCALE_NAMES.filter((name) => name !== 'faithful')) {
      for (const preset of D2L_STUDY) {
        const run = studyReference(file, scale, preset.id, SEED);
        expect(run, `${preset.id} at ${scale}`).toBeDefined();
        expect(referenceConfig(run!)).toEqual(scaledPresetConfig(preset, scale, SEED));
        expect(run!.epochs).toHaveLength(scaledPresetConfig(preset, scale, SEED).epochs);
      }
    }
  });

  it('include the first-visit settings, which leave the ln 10 plateau on every seed', async () => {
    const runs = (await shipped()).runs.filter((run) => run.kind === 'first-visit');
    expect(runs.length).toBeGreaterThanOrEqual(3);
    for (const run of runs) {
      expect(referenceConfig(run)).toEqual({ ...FIRST_VISIT_CONFIG, seed: run.settings.seed });
      expect(last(run.epochs).testAccuracy).toBeGreaterThanOrEqual(0.35);
    }
    expect(referencesFor(FIRST_VISIT_CONFIG, await shipped())[0]!.settings.seed).toBe(FIRST_VISIT_CONFIG.seed);
  });

  it('hold seeds 1–3 of every preset at the Classroom and Reduced scales, with batch 512 the lowest test accuracy on every seed', async () => {
    const file = await shipped();
    for (const scale of ['classroom', 'reduced'] as const) {
      for (const seed of [1, 2, 3]) {
        const finals = D2L_STUDY.map((preset) => {
          const run = studyReference(file, scale, preset.id, seed);
          expect(run?.settings.seed, `${preset.id} at ${scale}, seed ${seed}`).toBe(seed);
          return { batch: preset.config.batchSize, testAccuracy: last(run!.epochs).testAccuracy };
        });
        // Above chance everywhere: recomputed batch-norm statistics keep the rarely updated presets off 0.1.
        for (const { testAccuracy } of finals) expect(testAccuracy).toBeGreaterThanOrEqual(0.2);
        const lowest = finals.reduce((low, final) => (final.testAccuracy < low.testAccuracy ? final : low));
        expect(lowest.batch, `lowest at ${scale}, seed ${seed}`).toBe(512);
      }
    }
  });

  it('show the d2l lesson at the Classroom scale, within its budget', async () => {
    const file = await shipped();
    const runs = D2L_STUDY.map((preset) => ({ preset, run: studyReference(file, 'classroom', preset.id, SEED)! }));
    const testAccuracies = runs.map(({ run }) => last(run.epochs).testAccuracy);
    expect(Math.max(...testAccuracies)).toBeGreaterThanOrEqual(0.6);
    expect(testAccuracies.filter((accuracy) => accuracy > 0.4).length).toBeGreaterThanOrEqual(3);
    const examples = runs.reduce((sum, { run }) => sum + run.epochs.length * run.settings.trainSubset!, 0);
    expect(examples).toBeLessThanOrEqual(40_000);

    const byBatch = (batch: number) => runs.find(({ preset }) => preset.config.batchSize === batch)!.run;
    // Same learning rate, more updates per epoch: lower loss after the first epoch.
    expect(byBatch(8).epochs[0]!.trainLoss).toBeLessThan(byBatch(128).epochs[0]!.trainLoss);
    expect(byBatch(128).epochs[0]!.trainLoss).toBeLessThan(byBatch(512).epochs[0]!.trainLoss);
    // lr 0.02 at batch 512 ends worst; the smallest batch is the slowest per example, the largest the fastest.
    const finalLosses = runs.map(({ run }) => last(run.epochs).trainLoss);
    expect(last(byBatch(512).epochs).trainLoss).toBe(Math.max(...finalLosses));
    const rates = runs.map(({ run }) => run.examplesPerSecond);
    expect(byBatch(8).examplesPerSecond).toBe(Math.min(...rates));
    expect(byBatch(1000).examplesPerSecond).toBe(Math.max(...rates));
  });
});

describe('matching a run to its reference', () => {
  const file: ReferenceFile = {
    generator: 'test',
    runs: [1, 2].map((seed) => ({
      kind: 'first-visit' as const,
      scale: null,
      preset: null,
      settings: { ...FIRST_VISIT_CONFIG, seed },
      examplesPerSecond: 100,
      epochs: [{ epoch: 1, trainLoss: 2, trainAccuracy: 0.3, testAccuracy: 0.3 }],
      device: 'cpu',
      torch: '1.13',
      threads: 2,
    })),
  };

  it('ignores the seed but puts the same seed first', () => {
    expect(referencesFor({ ...FIRST_VISIT_CONFIG, seed: 2 }, file).map((run) => run.settings.seed)).toEqual([2, 1]);
    expect(referencesFor({ ...FIRST_VISIT_CONFIG, seed: 9 }, file)).toHaveLength(2);
  });

  it('matches no run that differs in any other setting', () => {
    expect(referencesFor({ ...FIRST_VISIT_CONFIG, batchNorm: false }, file)).toEqual([]);
    expect(referencesFor({ ...FIRST_VISIT_CONFIG, flip: true }, file)).toEqual([]);
    expect(referencesFor(FIRST_VISIT_CONFIG, null)).toEqual([]);
  });

  it('refuses a file that is not a reference file, naming the problem', () => {
    expect(() => parseReferenceFile({ runs: [] })).toThrow(/not one written by/);
    const broken = { generator: 'x', runs: [{ ...file.runs[0], epochs: [{ epoch: 2, trainLoss: 1, trainAccuracy: 0, testAccuracy: 0 }] }] };
    expect(() => parseReferenceFile(broken)).toThrow(/Reference run 1: epoch 1 is malformed/);
    const unknown = { generator: 'x', runs: [{ ...file.runs[0], settings: { seed: 1, colour: 'red' } }] };
    expect(() => parseReferenceFile(unknown)).toThrow(/unknown setting colour/);
  });
});

it('defines each scale by settings the reference script can build', () => {
  for (const scale of Object.values(STUDY_SCALES)) {
    expect(Object.keys(scale.settings).every((key) => key in DEFAULT_CONFIG)).toBe(true);
    expect(scale.epochDivisor).toBeGreaterThanOrEqual(1);
  }
});
