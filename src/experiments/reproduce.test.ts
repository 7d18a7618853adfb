import { describe, expect, it } from 'vitest';
import { D2L_STUDY, scaledPresetConfig } from './presets';
import { articleOrder, bestStudyRun, isStudyRun } from './reproduce';
import type { RunRecord } from '../domain/run';
import type { EpochReport } from '../domain/training';

const [first, second] = D2L_STUDY as [(typeof D2L_STUDY)[number], (typeof D2L_STUDY)[number]];
const classroom = scaledPresetConfig(first, 'classroom', 1);

const epoch = (n: number, trainLoss: number): EpochReport => ({
  epoch: n, trainLoss, trainAccuracy: 0.5, testAccuracy: 0.5, examplesPerSecond: 100, trainSeconds: 1, epochSeconds: 1,
  step: n, examplesSeen: n, elapsedSeconds: n, numTensors: 0,
});

const run = (id: string, change: Partial<RunRecord> = {}, finalLoss = 1): RunRecord => ({
  id, name: '', config: classroom, backend: 'webgpu', adapter: null, status: 'done', startedAt: 0, warmupSeconds: null,
  epochs: [epoch(1, 2), epoch(2, finalLoss)], batchLosses: [], error: null, group: null, evaluation: null,
  dataset: null, startedFrom: null, ...change,
});

describe('this browser’s runs in the reproduce view', () => {
  it('count a run of the preset at the scale, whatever its seed, and with fewer epochs than the scale gives', () => {
    expect(isStudyRun(run('a'), first, 'classroom')).toBe(true);
    expect(isStudyRun(run('a', { config: { ...classroom, seed: 9, epochs: 1 } }), first, 'classroom')).toBe(true);
  });

  it('leave out runs of another scale, another preset, longer runs, ablations, imported images and fine-tuning', () => {
    const others: Partial<RunRecord>[] = [
      { config: scaledPresetConfig(first, 'reduced', 1) },
      { config: scaledPresetConfig(first, 'faithful', 1) },
      { config: scaledPresetConfig(second, 'classroom', 1) },
      { config: { ...classroom, epochs: classroom.epochs + 1 } },
      { config: { ...classroom, optimizer: 'adam' } },
      { dataset: { id: 'd', name: 'shoes', classes: ['a', 'b'], side: 64, channels: 1 } },
      { startedFrom: { modelId: 'm', modelName: 'pretrained', freezeThrough: null, inputChannels: 1, check: null } },
    ];
    for (const change of others) expect(isStudyRun(run('a', change), first, 'classroom')).toBe(false);
  });

  it('pick the run with the lowest final training loss among those that count', () => {
    const runs = [
      run('worse', {}, 0.9),
      run('better', {}, 0.5),
      run('longer', { config: { ...classroom, epochs: 50 } }, 0.1),
      run('unstarted', { epochs: [] }),
    ];
    expect(bestStudyRun(runs, first, 'classroom')?.id).toBe('better');
    expect(bestStudyRun(runs, first, 'reduced')).toBeUndefined();
  });
});

describe("the article's order of the presets", () => {
  // The article's test accuracies: 0.913 / 0.722 / 0.877 / 0.921 / 0.882 for batch 64 / 512 / 128 / 8 / 1000.
  it('counts every pair ranked as the article ranks it, of the pairs with figures', () => {
    expect(articleOrder(D2L_STUDY, [0.913, 0.722, 0.877, 0.921, 0.882])).toEqual({ kept: 10, pairs: 10 });
    expect(articleOrder(D2L_STUDY, [0.722, 0.913, 0.877, 0.921, 0.882])).toEqual({ kept: 5, pairs: 10 });
    expect(articleOrder(D2L_STUDY, [0.7, undefined, 0.6, undefined, undefined])).toEqual({ kept: 1, pairs: 1 });
    expect(articleOrder(D2L_STUDY, [undefined, undefined, undefined, undefined, undefined])).toEqual({ kept: 0, pairs: 0 });
  });

  it('keeps no order for a tie', () => {
    expect(articleOrder(D2L_STUDY, [0.5, 0.5, undefined, undefined, undefined])).toEqual({ kept: 0, pairs: 1 });
  });
});
