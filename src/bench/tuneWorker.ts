import { fetchSource, loadFashionMnist } from '../data/fashionMnist';
import { SHIPPED_TABLES } from '../train/convStrategy';
import type { BenchCase } from './benchmark';
import { createProbes } from './probes';
import { type TuneMessage, tuneConvKernels } from './tuning';
import type { AdapterTables } from '../train/convStrategy';

/** Messages between `npm run bench -- --tune` (src/bench/tune.ts) and this worker. */
export interface TuneRequest {
  cases: BenchCase[];
  /** Timed runs per strategy and layer, after one that compiles the shaders. */
  reps: number;
  dataBaseUrl: string;
  browser: string;
}

export type FromTuneWorker = TuneMessage | { type: 'tables'; tables: AdapterTables } | { type: 'done' } | { type: 'error'; message: string };

interface WorkerScope {
  postMessage(message: FromTuneWorker): void;
  onmessage: ((event: MessageEvent<TuneRequest>) => void) | null;
}
const scope = self as unknown as WorkerScope;

/** Runs in a dedicated worker, as the app's training does. */
scope.onmessage = async (event) => {
  const request = event.data;
  try {
    const probes = await createProbes('chromium', 'webgpu');
    if ('error' in probes) throw new Error(probes.error);
    const data = await loadFashionMnist(fetchSource(request.dataBaseUrl));
    const post = (message: TuneMessage) => scope.postMessage(message);
    const tables = await tuneConvKernels(request.cases, data, probes, request.reps, request.browser, post, SHIPPED_TABLES);
    scope.postMessage({ type: 'tables', tables });
    scope.postMessage({ type: 'done' });
  } catch (error) {
    scope.postMessage({ type: 'error', message: (error as Error).message });
  }
};
