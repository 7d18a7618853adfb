import { describe, expect, it } from 'vitest';
import { run } from '../experiments/runFixture';
import { type RunAction, runsReducer } from '../experiments/runHistory';
import type { FromWorker } from './protocol';
import { type DataState, routeMessage, withDataProgress } from './workerMessages';

const finished = run('run-1');
const sample = finished.batchLosses[0]!;
const report = finished.epochs[0]!;

describe('routeMessage', () => {
  it('hands answers to the open requests', () => {
    const answers: FromWorker[] = [
      { type: 'result', id: 3, reply: { type: 'stop', value: { stopping: true } } },
      { type: 'error', id: 4, message: 'no backend' },
    ];
    for (const answer of answers) expect(routeMessage(answer, null)).toEqual([{ target: 'requests', answer }]);
  });

  it("passes a run's events to the run history as they came, whichever run is active", () => {
    const events: FromWorker[] = [
      { type: 'warmup', runId: 'run-1', seconds: 12.5 },
      { type: 'batch', runId: 'run-1', sample },
      { type: 'epoch', runId: 'run-1', report },
    ];
    for (const event of events) expect(routeMessage(event, 'run-2')).toEqual([{ target: 'runs', action: event }]);

    // Routed actions drive the reducer exactly as the worker described the run.
    const { id, config, backend, adapter, startedAt, group, dataset, startedFrom } = finished;
    const created: RunAction = { type: 'created', run: { id, config, backend, adapter, startedAt, group, dataset, startedFrom } };
    const actions = events.flatMap((event) => routeMessage(event, 'run-1')).flatMap((change) => (change.target === 'runs' ? [change.action] : []));
    const [record] = [created, ...actions].reduce(runsReducer, []);
    expect(record?.warmupSeconds).toBe(12.5);
    expect(record?.batchLosses).toEqual([sample]);
    expect(record?.epochs).toEqual([report]);
  });

  it("hands an epoch's measured rate to the calibration, not to the run history", () => {
    const sample = { macsPerExample: 1e6, batchSize: 32, examplesPerSecond: 400, forwardPasses: 4, forwardExamples: 1524, forwardSeconds: 1.2 };
    expect(routeMessage({ type: 'rate', runId: 'run-1', sample }, 'run-1')).toEqual([{ target: 'rates', sample }]);
  });

  it('reports download and import progress', () => {
    expect(routeMessage({ type: 'data-progress', loadedBytes: 10, totalBytes: 40 }, null)).toEqual([
      { target: 'data', progress: { loadedBytes: 10, totalBytes: 40 } },
    ]);
    expect(routeMessage({ type: 'dataset-progress', decoded: 5, total: 9 }, null)).toEqual([
      { target: 'dataset-import', state: { status: 'decoding', decoded: 5, total: 9 } },
    ]);
  });

  it('fails the active run with the reason when the device is lost, then replaces the worker', () => {
    expect(routeMessage({ type: 'device-failed', reason: 'The GPU device was lost (destroyed)' }, 'run-7')).toEqual([
      {
        target: 'runs',
        action: { type: 'failed', runId: 'run-7', message: 'The GPU device was lost (destroyed); a fresh worker is starting.' },
      },
      { target: 'replace-worker' },
    ]);
    expect(routeMessage({ type: 'device-failed', reason: 'The GPU device was lost (destroyed)' }, null)).toEqual([{ target: 'replace-worker' }]);
  });
});

describe('withDataProgress', () => {
  const progress = { loadedBytes: 100, totalBytes: 400 };

  it('counts while the data loads', () => {
    expect(withDataProgress({ status: 'waiting' }, progress)).toEqual({ status: 'loading', ...progress });
    expect(withDataProgress({ status: 'loading', loadedBytes: 0, totalBytes: null }, progress)).toEqual({ status: 'loading', ...progress });
  });

  it('never undoes an outcome', () => {
    const outcomes: DataState[] = [
      { status: 'ready', trainCount: 60_000, testCount: 10_000 },
      { status: 'failed', message: 'truncated' },
    ];
    for (const outcome of outcomes) expect(withDataProgress(outcome, progress)).toBe(outcome);
  });
});
