import type { TrainConfig } from '../config/trainConfig';
import type { BenchCase, BenchRow, BenchSettings } from './benchmark';
import type { EpochRow } from './epochBench';
import type { ProfileRow } from './profile';
import type { BackendName } from '../domain/backend';
import type { FromBenchWorker, ReproductionNote, ToBenchWorker } from './protocol';
import type { EpochReport } from '../domain/training';

declare global {
  interface Window {
    runBenchmark(cases: BenchCase[], settings: BenchSettings, onRow: (row: BenchRow) => void): Promise<void>;
    runEpochs(cases: BenchCase[], backend: BackendName, onRow: (row: EpochRow) => void): Promise<void>;
    runProfile(cases: BenchCase[], backend: BackendName, onRow: (row: ProfileRow) => void): Promise<void>;
    runReproduction(config: TrainConfig, onEpoch: (report: EpochReport) => void, onNote: (note: ReproductionNote) => void): Promise<void>;
  }
}

/** One request to a fresh worker, which is ended with it: each run starts from a clean tfjs and device. */
function inWorker(request: ToBenchWorker, onReply: (reply: Exclude<FromBenchWorker, { type: 'done' | 'error' }>) => void): Promise<void> {
  const worker = new Worker(new URL('./benchWorker.ts', import.meta.url), { type: 'module' });
  return new Promise<void>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<FromBenchWorker>) => {
      const reply = event.data;
      if (reply.type === 'done') resolve();
      else if (reply.type === 'error') reject(new Error(reply.message));
      else onReply(reply);
    };
    worker.onerror = (event) => reject(new Error(event.message || 'the benchmark worker crashed'));
    worker.postMessage(request);
  }).finally(() => worker.terminate());
}

const dataBaseUrl = '/data/fashion-mnist';

window.runBenchmark = (cases, settings, onRow) =>
  inWorker({ type: 'benchmark', cases, settings, dataBaseUrl }, (reply) => {
    if (reply.type === 'row') onRow(reply.row);
  });

window.runEpochs = (cases, backend, onRow) =>
  inWorker({ type: 'loop', cases, backend, dataBaseUrl }, (reply) => {
    if (reply.type === 'epoch-row') onRow(reply.row);
  });

window.runProfile = (cases, backend, onRow) =>
  inWorker({ type: 'profile', cases, backend, dataBaseUrl }, (reply) => {
    if (reply.type === 'profile') onRow(reply.row);
  });

window.runReproduction = (config, onEpoch, onNote) =>
  inWorker({ type: 'reproduce', config, dataBaseUrl }, (reply) => {
    if (reply.type === 'epoch') onEpoch(reply.report);
    else if (reply.type !== 'row' && reply.type !== 'profile' && reply.type !== 'epoch-row') onNote(reply);
  });
