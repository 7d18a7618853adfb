import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { FIRST_VISIT_CONFIG, D2L_STUDY, scaledPresetConfig } from '../experiments/presets';
import type { ReferenceFile, ReferenceRun } from '../experiments/reference';
import {
  type AppEpoch,
  DEFAULT_REFERENCE_FILE,
  type ReproduceOptions,
  ReproduceError,
  type SeedResult,
  band,
  bandsOf,
  bandsReport,
  configFor,
  loadReferenceFile,
  markdownTable,
  parseReproduceArgs,
  planSeeds,
  referenceRuns,
  seedReport,
} from './reproduction';

const parse = (...argv: string[]): ReproduceOptions => {
  const parsed = parseReproduceArgs(argv);
  if (parsed === 'help') throw new Error('expected options, got help');
  return parsed;
};
const refusal = (...argv: string[]): string => {
  try {
    parseReproduceArgs(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(ReproduceError);
    return (error as Error).message;
  }
  throw new Error(`accepted ${argv.join(' ')}`);
};

const FIRST_VISIT = { batchSize: 32, learningRate: 0.05, epochs: 2, trainSubset: 1024, testSubset: 500, resolution: 32, width: 0.25, batchNorm: true, bnStats: 'recompute' as const };

function referenceRun(seed: number, testAccuracies: number[], overrides: Partial<ReferenceRun> = {}): ReferenceRun {
  return {
    kind: 'first-visit',
    scale: null,
    preset: null,
    settings: { ...FIRST_VISIT, seed },
    examplesPerSecond: 1000,
    epochs: testAccuracies.map((testAccuracy, i) => ({ epoch: i + 1, trainLoss: 2 - i / 2, trainAccuracy: 0.3 + i / 10, testAccuracy })),
    device: 'AMD EPYC (CPU)',
    torch: '1.13.0',
    threads: 2,
    ...overrides,
  };
}

const FILE: ReferenceFile = {
  generator: 'scripts/parity/reference_curves.py',
  runs: [
    referenceRun(2, [0.54, 0.596]),
    referenceRun(1, [0.412, 0.656]),
    referenceRun(1, [0.38, 0.69], {
      kind: 'study',
      scale: 'classroom',
      preset: 'd2l-lr0.05-bs64',
      settings: { ...FIRST_VISIT, batchSize: 64, epochs: 5, trainSubset: 1500, seed: 1 },
    }),
  ],
};

const appEpoch = (epoch: number, trainLoss: number, trainAccuracy: number, testAccuracy: number): AppEpoch => ({
  epoch,
  trainLoss,
  trainAccuracy,
  testAccuracy,
  examplesPerSecond: 30,
  elapsedSeconds: 40 * epoch,
});

function seedResult(seed: number, epochs: AppEpoch[], reference: ReferenceRun): SeedResult {
  return { seed, config: { ...FIRST_VISIT_CONFIG, seed }, reference, runtime: 'tfjs cpu in Node v20', epochs, warmupSeconds: 1.5 };
}

describe('parseReproduceArgs', () => {
  it('reads a run, a scale, seeds, a runtime and a JSON path; defaults to classroom, seeds 1–3, node', () => {
    const options = parse('--run', 'd2l-lr0.02-bs512', '--scale', 'reduced', '--seeds', '4, 7', '--runtime', 'chromium', '--json', 'out.json');
    expect(options.run).toEqual({ kind: 'preset', preset: D2L_STUDY[1], scale: 'reduced' });
    expect(options).toMatchObject({ seeds: [4, 7], runtime: 'chromium', json: 'out.json', referencePath: DEFAULT_REFERENCE_FILE });
    expect(parse('--run', '1')).toMatchObject({ run: { kind: 'preset', preset: D2L_STUDY[0], scale: 'classroom' }, seeds: [1, 2, 3], runtime: 'node', json: null });
    expect(parse('--run', '5').run).toMatchObject({ preset: { id: 'd2l-lr0.05-bs1000' } });
    expect(parse('--run', 'first-visit', '--reference', '/tmp/r.json')).toMatchObject({ run: { kind: 'first-visit' }, referencePath: '/tmp/r.json' });
    expect(parseReproduceArgs(['--help'])).toBe('help');
  });

  it('refuses what it cannot run, saying what it accepts', () => {
    expect(refusal()).toMatch(/^choose what to run: --run first-visit, or a d2l preset by id or number \(1 = d2l-lr0\.05-bs64, 2 = /);
    expect(refusal('--run', '6')).toMatch(/^unknown run "6"; choose first-visit or a d2l preset \(1 = d2l-lr0\.05-bs64/);
    expect(refusal('--run', 'd2l-lr0.1-bs64')).toContain('unknown run "d2l-lr0.1-bs64"');
    expect(refusal('--run', '1', '--scale', 'tiny')).toBe('unknown scale "tiny"; choose faithful, reduced, classroom');
    expect(refusal('--run', 'first-visit', '--scale', 'classroom')).toBe('--scale applies to the d2l presets; first-visit has settings of its own');
    expect(refusal('--run', '1', '--seeds', '1,x')).toBe('--seeds must be non-negative integers separated by commas, not "1,x"');
    expect(refusal('--run', '1', '--seeds', '1,,2')).toContain('not "1,,2"');
    expect(refusal('--run', '1', '--seeds=-1')).toContain('not "-1"');
    expect(refusal('--run', '1', '--seeds', '2,2')).toBe('--seeds lists a seed twice: "2,2"');
    expect(refusal('--run', '1', '--runtime', 'webgl')).toBe(
      'unknown runtime "webgl"; choose node (tfjs cpu), wasm (tfjs wasm in Node), dawn (WebGPU in Node) or chromium (WebGPU in the browser)',
    );
    expect(parse('--run', '1', '--runtime', 'dawn').runtime).toBe('dawn');
    expect(parse('--run', '1', '--runtime', 'wasm').runtime).toBe('wasm');
    expect(refusal('--run', '1', '--epochs', '3')).toMatch(/Unknown option '--epochs'/);
  });
});

describe('configFor', () => {
  it('runs exactly what the app runs: the first-visit settings or the scaled preset, with the seed', () => {
    expect(configFor({ kind: 'first-visit' }, 3)).toEqual({ ...FIRST_VISIT_CONFIG, seed: 3 });
    const preset = D2L_STUDY[0]!;
    const classroom = configFor({ kind: 'preset', preset, scale: 'classroom' }, 2);
    expect(classroom).toEqual(scaledPresetConfig(preset, 'classroom', 2));
    expect(classroom).toMatchObject({ batchSize: 64, learningRate: 0.05, epochs: 5, trainSubset: 1500, resolution: 32, width: 0.25, batchNorm: true, seed: 2 });
  });
});

describe('reference files', () => {
  const read = (text: string) => () => Promise.resolve(text);

  it('says where a missing, broken or foreign reference file is, and how to write one', async () => {
    const missing = () => Promise.reject(Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' }));
    await expect(loadReferenceFile('public/x.json', missing)).rejects.toThrow(
      'no reference file at public/x.json; write it with /usr/bin/python3 scripts/parity/reference_curves.py, or pass --reference FILE',
    );
    await expect(loadReferenceFile('x.json', read('{'))).rejects.toThrow(/^x\.json is not JSON: /);
    await expect(loadReferenceFile('x.json', read('{"runs": 3}'))).rejects.toThrow(
      'x.json: The reference file is not one written by scripts/parity/reference_curves.py.',
    );
    await expect(loadReferenceFile('x.json', read(JSON.stringify(FILE)))).resolves.toEqual(FILE);
  });

  it('pairs each seed with the reference of that seed, else another seed, and refuses settings without one', () => {
    const options = parse('--run', 'first-visit', '--seeds', '1,2,9');
    const plans = planSeeds(options, FILE);
    expect(plans.map((p) => [p.seed, p.config.seed, p.reference.settings.seed])).toEqual([[1, 1, 1], [2, 2, 2], [9, 9, 2]]);
    expect(plans[0]!.reference.kind).toBe('first-visit');
    expect(referenceRuns(options, FILE).map((r) => r.settings.seed)).toEqual([1, 2]);

    const classroom = parse('--run', 'd2l-lr0.05-bs64', '--seeds', '2');
    expect(planSeeds(classroom, FILE)[0]!.reference.preset).toBe('d2l-lr0.05-bs64');
    expect(() => planSeeds(parse('--run', '2'), FILE)).toThrow(
      'public/reference/pytorch-reference.json has no reference run for the d2l-lr0.02-bs512 at the classroom scale ' +
        '(batch 512, lr 0.02, 4 epochs, 1500 of 60000 training images, 500 of 10000 test images, 32×32 input, width × 0.25, ' +
        '+BN (batch norm after every convolution)); write one with: /usr/bin/python3 scripts/parity/reference_curves.py --scale classroom --seeds 1,2,3',
    );
  });
});

describe('the report', () => {
  it('pads a Markdown table with right-aligned columns', () => {
    expect(markdownTable(['a', 'bbb'], [['10', '2'], ['3', '44']])).toBe(['|  a | bbb |', '|---:|----:|', '| 10 |   2 |', '|  3 |  44 |'].join('\n'));
  });

  it('puts each app epoch beside the reference epoch and ends with the difference in final test accuracy', () => {
    const reference = FILE.runs[1]!;
    const report = seedReport(seedResult(1, [appEpoch(1, 2.1034, 0.2131, 0.302), appEpoch(2, 1.25, 0.5, 0.6)], reference));
    const lines = report.split('\n');
    expect(lines[0]).toBe(
      'Seed 1: app on tfjs cpu in Node v20, 80 s (first step 1.5 s, last epoch 30.0 ex/s); ' +
        'reference seed 1, PyTorch 1.13.0 on AMD EPYC (CPU), 1000 ex/s',
    );
    expect(lines[1]).toBe('| epoch | app train loss | app train acc | app test acc | ref train loss | ref train acc | ref test acc |');
    expect(lines[3]).toBe('|     1 |         2.1034 |        21.3 % |       30.2 % |         2.0000 |        30.0 % |       41.2 % |');
    expect(lines[4]).toBe('|     2 |         1.2500 |        50.0 % |       60.0 % |         1.5000 |        40.0 % |       65.6 % |');
    expect(lines[5]).toBe('Final test accuracy: app 60.0 %, reference 65.6 %; app − reference −5.6 points');
  });

  it('names the reference seed when it is not the app run\'s, and marks epochs one side lacks', () => {
    const reference = referenceRun(2, [0.5, 0.6, 0.55]);
    const report = seedReport(seedResult(7, [appEpoch(1, 1.5, 0.4, 0.7), appEpoch(2, 1, 0.6, 0.71)], reference));
    expect(report).toContain('reference seed 2 (the file has no run with seed 7)');
    expect(report).toContain('|     3 |              — |             — |            — |');
    expect(report).toContain('app − reference +16.0 points');
  });

  it('gives each side\'s band of final test accuracy and whether the bands overlap', () => {
    expect(band([0.6, 0.5, 0.7])).toEqual({ min: 0.5, max: 0.7, mean: expect.closeTo(0.6, 12) });
    expect(() => band([])).toThrow('a band needs at least one value');

    const results = [seedResult(1, [appEpoch(1, 1, 0.5, 0.58)], FILE.runs[1]!), seedResult(2, [appEpoch(1, 1, 0.5, 0.62)], FILE.runs[0]!)];
    const bands = bandsOf(results, [FILE.runs[1]!, FILE.runs[0]!]);
    expect(bands).toMatchObject({ appSeeds: [1, 2], referenceSeeds: [1, 2], overlap: true });
    expect(bands.app).toMatchObject({ min: 0.58, max: 0.62 });
    expect(bands.reference).toMatchObject({ min: 0.596, max: 0.656 });
    expect(bandsReport(bands).split('\n').slice(1)).toEqual([
      '  app,       seeds 1, 2: 58.0 % – 62.0 % (mean 60.0 %)',
      '  reference, seeds 1, 2: 59.6 % – 65.6 % (mean 62.6 %)',
      '  means differ by −2.6 points; the ranges overlap',
    ]);

    const apart = bandsOf([seedResult(1, [appEpoch(1, 1, 0.5, 0.3)], FILE.runs[1]!)], [FILE.runs[1]!]);
    expect(apart.overlap).toBe(false);
    expect(bandsReport(apart)).toContain('the ranges do not overlap');
  });
});

describe('npm run reproduce', () => {
  it('exits 1 with the message, before loading any data, when the reference file is missing', async () => {
    const root = new URL('../../', import.meta.url).pathname;
    const failed = await promisify(execFile)('npx', ['tsx', 'src/bench/reproduce.ts', '--run', 'first-visit', '--reference', '/nonexistent.json'], { cwd: root }).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain('reproduce: no reference file at /nonexistent.json;');
  });
});
