import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../config/trainConfig';
import { decideTurn, racePlan, remainingEstimate, sequentialPlan } from './runQueue';
import type { RunRecord } from '../domain/run';
import type { EpochReport } from '../domain/training';

const planned = (runId: string, epochs: number) => ({ runId, config: { ...DEFAULT_CONFIG, epochs } });

const record = (id: string, status: RunRecord['status'], epochSeconds: number[], epochs = 3): RunRecord => ({
  id, name: '', config: { ...DEFAULT_CONFIG, epochs }, backend: 'webgpu', adapter: null, status, startedAt: 0,
  warmupSeconds: 1, batchLosses: [], error: null, group: 'g', evaluation: null, dataset: null, startedFrom: null,
  epochs: epochSeconds.map((s, i) => ({ epoch: i + 1, epochSeconds: s }) as EpochReport),
});

describe('queue plans', () => {
  it('races runs epoch by epoch, letting shorter runs drop out', () => {
    const turns = racePlan([planned('a', 2), planned('b', 3)], 'lab');
    expect(turns.map((t) => `${t.runId}${t.untilEpoch}`)).toEqual(['a1', 'b1', 'a2', 'b2', 'b3']);
    expect(turns.every((t) => t.group === 'lab')).toBe(true);
  });

  it('carries each run\'s dataset and fine-tuning start on every turn, for the first turn to start the run with', () => {
    const dataset = { id: 'd', name: 'shapes', classes: ['a', 'b'], side: 64, channels: 3 };
    const startedFrom = { modelId: 'm', modelName: 'tiny', freezeThrough: 'b2' as const, inputChannels: 1, check: null };
    const turns = racePlan([{ ...planned('a', 2), dataset, startedFrom }, planned('b', 1)], 'lab');
    expect(turns.filter((t) => t.runId === 'a').every((t) => t.dataset === dataset && t.startedFrom === startedFrom)).toBe(true);
    expect(turns.find((t) => t.runId === 'b')!.dataset).toBeUndefined();
    expect(sequentialPlan([{ ...planned('a', 2), dataset }], 's')[0]!.dataset).toBe(dataset);
  });

  it('runs a study one run after another, each to its end', () => {
    expect(sequentialPlan([planned('a', 2), planned('b', 3)], 's').map((t) => `${t.runId}${t.untilEpoch}`)).toEqual(['a2', 'b3']);
  });
});

describe('decideTurn', () => {
  const turn = { ...planned('a', 3), untilEpoch: 2, group: 'g' };
  it('starts a run it has not seen, resumes a paused one, skips a finished stretch', () => {
    expect(decideTurn(turn, [])).toEqual({ kind: 'start' });
    const paused = record('a', 'paused', [1]);
    expect(decideTurn(turn, [paused])).toEqual({ kind: 'resume', run: paused });
    expect(decideTurn(turn, [record('a', 'paused', [1, 1])])).toEqual({ kind: 'skip' });
  });

  it('drops the turns of a run that failed or was stopped', () => {
    expect(decideTurn(turn, [record('a', 'failed', [1])])).toEqual({ kind: 'drop-run' });
    expect(decideTurn(turn, [record('a', 'stopped', [], 3)]).kind).toBe('resume');
    expect(decideTurn(turn, [record('a', 'done', [1], 1)])).toEqual({ kind: 'drop-run' });
  });
});

describe('remainingEstimate', () => {
  it('uses each run\'s own mean epoch time and counts the epochs of runs not measured yet', () => {
    const turns = racePlan([planned('a', 3), planned('b', 3)], 'g').slice(2);
    const runs = [record('a', 'paused', [10, 20]), record('b', 'paused', [])];
    expect(remainingEstimate(turns, runs)).toEqual({ seconds: 15, unmeasured: 3 });
  });
});
