import { fetchSource, loadFashionMnist } from '../data/fashionMnist';
import { type BenchCase, type BenchRow, benchmarkCase } from './benchmark';
import { createProbes } from './probes';

export type BenchRequest = { cases: BenchCase[]; dataBaseUrl: string };
export type BenchReply = { type: 'row'; row: BenchRow } | { type: 'done' } | { type: 'error'; message: string };

interface WorkerScope {
  postMessage(message: BenchReply): void;
  onmessage: ((event: MessageEvent<BenchRequest>) => void) | null;
}
const scope = self as unknown as WorkerScope;

/** Runs in a dedicated worker, as the app's training does, so the figures are the app's. */
scope.onmessage = async (event) => {
  try {
    const probes = await createProbes('chromium', 'webgpu');
    if ('error' in probes) throw new Error(probes.error);
    const data = await loadFashionMnist(fetchSource(event.data.dataBaseUrl));
    for (const benchCase of event.data.cases) {
      scope.postMessage({ type: 'row', row: await benchmarkCase(benchCase, data, probes) });
    }
    scope.postMessage({ type: 'done' });
  } catch (error) {
    scope.postMessage({ type: 'error', message: (error as Error).message });
  }
};
