import type { BenchCase, BenchRow } from './benchmark';
import type { BenchReply, BenchRequest } from './benchWorker';

declare global {
  interface Window {
    runBenchmark(cases: BenchCase[], onRow: (row: BenchRow) => void): Promise<void>;
  }
}

window.runBenchmark = (cases, onRow) =>
  new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./benchWorker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (event: MessageEvent<BenchReply>) => {
      const reply = event.data;
      if (reply.type === 'row') onRow(reply.row);
      else if (reply.type === 'done') resolve();
      else reject(new Error(reply.message));
    };
    worker.onerror = (event) => reject(new Error(event.message || 'the benchmark worker crashed'));
    worker.postMessage({ cases, dataBaseUrl: '/data/fashion-mnist' } satisfies BenchRequest);
  });
