import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../config/trainConfig';
import { canResume, pytorchCounterparts, runsReducer } from './runHistory';
import { run } from './runFixture';
import type { RunRecord } from '../domain/run';
import type { EpochReport } from '../domain/training';

const created = (id: string, epochs = 2): RunRecord[] =>
  runsReducer([], {
    type: 'created',
    run: { id, config: { ...DEFAULT_CONFIG, epochs }, backend: 'webgpu', adapter: null, startedAt: 1, group: 'Batch-size lab #1', dataset: null, startedFrom: null },
  });

const epoch = (n: number) => ({ epoch: n, trainLoss: 1 }) as EpochReport;

describe('runsReducer', () => {
  it('pauses a raced run between its turns and lets it resume until its last epoch', () => {
    let runs = created('a');
    expect(runs[0]).toMatchObject({ status: 'running', group: 'Batch-size lab #1', epochs: [] });
    runs = runsReducer(runs, { type: 'epoch', runId: 'a', report: epoch(1) });
    runs = runsReducer(runs, { type: 'ended', runId: 'a', outcome: 'paused' });
    expect(runs[0]!.status).toBe('paused');
    expect(canResume(runs[0]!)).toBe(true);
    runs = runsReducer(runs, { type: 'resumed', runId: 'a' });
    runs = runsReducer(runs, { type: 'epoch', runId: 'a', report: epoch(2) });
    runs = runsReducer(runs, { type: 'ended', runId: 'a', outcome: 'completed' });
    expect(runs[0]!.status).toBe('done');
    expect(canResume(runs[0]!)).toBe(false);
  });

  it("takes a run another tab stored in place of this page's copy, keeping start order", () => {
    const runs = [...created('a'), ...created('b').map((run) => ({ ...run, startedAt: 3 }))];
    const stored = { ...runs[0]!, status: 'done' as const, epochs: [epoch(1), epoch(2)] };
    expect(runsReducer(runs, { type: 'stored', run: stored })).toEqual([stored, runs[1]]);
    const other = { ...stored, id: 'c', startedAt: 2 };
    expect(runsReducer(runs, { type: 'stored', run: other }).map((run) => run.id)).toEqual(['a', 'c', 'b']);
  });
});

describe('pytorchCounterparts', () => {
  const browser = run('browser', { config: { ...DEFAULT_CONFIG, batchSize: 32, seed: 7 } });
  const fromTorch = (id: string, overrides: Partial<RunRecord> = {}) =>
    run(id, { backend: 'pytorch', adapter: 'CPU (2 threads)', config: { ...DEFAULT_CONFIG, batchSize: 32, seed: 1 }, ...overrides });

  it("finds train.py's runs of the same settings and data, whatever their seed, and never resumes them here", () => {
    const same = fromTorch('same');
    const otherBatch = fromTorch('other-batch', { config: { ...DEFAULT_CONFIG, batchSize: 64 } });
    const otherData = fromTorch('other-data', { dataset: { id: 'shapes', name: 'shapes', classes: ['a'], side: 28, channels: 1 } });
    const sameBrowserSettings = run('browser-2', { config: browser.config });
    expect(pytorchCounterparts(browser, [browser, same, otherBatch, otherData, sameBrowserSettings])).toEqual([same]);
    expect(pytorchCounterparts(same, [browser, same])).toEqual([]);
    expect(canResume({ ...same, status: 'stopped' })).toBe(false);
  });
});
