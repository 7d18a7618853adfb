import { fetchSource, loadFashionMnist } from '../data/fashionMnist';
import { setUpBackend } from '../worker/backend';
import { assertNever } from '../worker/protocol';
import { benchmarkCases } from './benchmark';
import { benchmarkEpoch, epochCases } from './epochBench';
import { adapterLabel, createProbes } from './probes';
import { profileCase } from './profile';
import type { FromBenchWorker, ToBenchWorker } from './protocol';
import { trainForReproduction } from './reproduceRun';

interface WorkerScope {
  postMessage(message: FromBenchWorker): void;
  onmessage: ((event: MessageEvent<ToBenchWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;

async function handle(request: ToBenchWorker): Promise<void> {
  switch (request.type) {
    case 'benchmark': {
      const probes = await createProbes('chromium', 'webgpu');
      if ('error' in probes) throw new Error(probes.error);
      const data = await loadFashionMnist(fetchSource(request.dataBaseUrl));
      await benchmarkCases(request.cases, request.settings, data, probes, (row) => scope.postMessage({ type: 'row', row }));
      return;
    }
    case 'loop': {
      const probes = await createProbes('chromium', request.backend);
      if ('error' in probes) throw new Error(probes.error);
      const data = await loadFashionMnist(fetchSource(request.dataBaseUrl));
      for (const benchCase of request.cases.flatMap(epochCases)) scope.postMessage({ type: 'epoch-row', row: await benchmarkEpoch(benchCase, data, probes) });
      return;
    }
    case 'profile': {
      const probes = await createProbes('chromium', request.backend);
      if ('error' in probes) throw new Error(probes.error);
      const data = await loadFashionMnist(fetchSource(request.dataBaseUrl));
      for (const benchCase of request.cases) {
        scope.postMessage({ type: 'profile', row: await profileCase(benchCase, data, probes) });
      }
      return;
    }
    case 'reproduce': {
      const setup = await setUpBackend('webgpu');
      if (!setup.ok) throw new Error(setup.reason);
      scope.postMessage({ type: 'backend', adapter: adapterLabel(setup.adapter, 'webgpu') });
      const data = await loadFashionMnist(fetchSource(request.dataBaseUrl));
      await trainForReproduction(request.config, data, setup, {
        onWarmup: (seconds) => scope.postMessage({ type: 'warmup', seconds }),
        onBatchLoss: (sample) => scope.postMessage({ type: 'batch', sample }),
        onEpoch: (report) => scope.postMessage({ type: 'epoch', report }),
      });
      return;
    }
    default:
      assertNever(request);
  }
}

/** Runs in a dedicated worker, as the app's training does, so the figures are the app's. */
scope.onmessage = async (event) => {
  try {
    await handle(event.data);
    scope.postMessage({ type: 'done' });
  } catch (error) {
    scope.postMessage({ type: 'error', message: (error as Error).message });
  }
};
