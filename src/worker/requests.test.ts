import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, networkShape } from '../config/trainConfig';
import type { FromWorker, ToWorker } from './protocol';
import { WorkerRequests } from './requests';

/** A page side whose sent requests are kept, so that the test answers them as a worker would (or does not). */
function page() {
  const sent: ToWorker[] = [];
  const requests = new WorkerRequests((message) => sent.push(message));
  const answer = (message: Extract<FromWorker, { type: 'result' | 'error' }>) => requests.answer(message);
  return { sent, requests, answer };
}

const summarize = { type: 'summarize', config: networkShape(DEFAULT_CONFIG) } as const;

describe('WorkerRequests', () => {
  it('pairs each answer with its request by id, whatever order the answers come in', async () => {
    const { sent, requests, answer } = page();
    const stop = requests.request({ type: 'stop', runId: 'a' });
    const exported = requests.request({ type: 'export-model', modelId: 'm', format: 'tfjs' });
    expect(sent.map((m) => [m.type, m.id])).toEqual([['stop', 1], ['export-model', 2]]);
    answer({ type: 'error', id: 2, message: 'This saved model is no longer stored (was it removed?).' });
    answer({ type: 'result', id: 1, reply: { type: 'stop', value: { stopping: false } } });
    await expect(stop).resolves.toEqual({ stopping: false });
    await expect(exported).rejects.toThrow('no longer stored');
    expect(requests.openCount).toBe(0);
  });

  it('settles a request once: a second answer under its id is ignored', async () => {
    const { requests, answer } = page();
    const stop = requests.request({ type: 'stop', runId: 'a' });
    answer({ type: 'result', id: 1, reply: { type: 'stop', value: { stopping: true } } });
    answer({ type: 'error', id: 1, message: 'late' });
    await expect(stop).resolves.toEqual({ stopping: true });
  });

  it('refuses a reply of another request type rather than handing it on as the wrong value', async () => {
    const { requests, answer } = page();
    const summary = requests.request(summarize);
    answer({ type: 'result', id: 1, reply: { type: 'stop', value: { stopping: true } } });
    await expect(summary).rejects.toThrow('A summarize request was answered as stop.');
  });

  it('a worker that dies mid-request: every pending request is rejected with the reason, and so is every later one', async () => {
    const { sent, requests, answer } = page();
    const pending = [
      requests.request({ type: 'save-model', runId: 'r', name: 'n', config: DEFAULT_CONFIG, shape: { classes: ['a'], side: 28, channels: 1 }, datasetName: 'x' }),
      requests.request({ type: 'predict', source: { kind: 'model', modelId: 'm' }, image: new Blob([]) }),
      requests.request(summarize),
    ];
    requests.close('The training worker crashed (boom); a fresh worker is starting.');
    for (const request of pending) await expect(request).rejects.toThrow('The training worker crashed (boom)');
    expect(requests.openCount).toBe(0);
    // The dead worker's answer, had it come, changes nothing; a new request is refused without being sent.
    answer({ type: 'error', id: 3, message: 'a late answer' });
    await expect(requests.request({ type: 'stop', runId: 'r' })).rejects.toThrow('The training worker crashed');
    expect(sent).toHaveLength(3);
    expect(requests.closed).toBe(true);
  });
});
