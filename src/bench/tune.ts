import { readFile, writeFile } from 'node:fs/promises';
import { type TableEntry, parseTable } from '../train/weightGradientStrategy';
import type { BenchCase, BenchRow } from './benchmark';
import { withBenchPage } from './chromium';
import type { FromTuneWorker, TuneRequest } from './tuneWorker';

const TABLE_FILE = new URL('../train/weightGradientTable.json', import.meta.url);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Timed runs per strategy and layer: the median of five steadies a busy machine's figures. */
const REPS = 5;

declare global {
  interface Window {
    reportTuning(message: FromTuneWorker): void;
  }
}

/**
 * `npm run bench -- --tune`: times the three weight-gradient strategies on every distinct convolution of each
 * case's model at its batch (src/bench/tuneWorker.ts, in Chromium's WebGPU), writes the choices into the table the
 * app ships, then times each case's training step with every layer on the built-in kernel and with the new table
 * (`jsonFile`: every layer's timings and every step's figures).
 */
export async function tuneWeightGradients(cases: BenchCase[], jsonFile?: string): Promise<void> {
  const rows: { policy: string; row: BenchRow }[] = [];
  const comparisons: Extract<FromTuneWorker, { type: 'steps' }>[] = [];
  let adapter = '';
  const layers: Record<string, Record<string, TableEntry>> = {};
  const onMessage = (message: FromTuneWorker) => {
    if (message.type === 'adapter') adapter = message.adapter;
    else if (message.type === 'layer') {
      const { ms, strategy } = message.entry;
      const times = Object.entries(ms).map(([s, t]) => `${s} ${t.toFixed(1)}`).join(', ');
      console.log(`${message.key.padEnd(40)} n${message.batch}: ${strategy.padEnd(12)} (ms: ${times})  ${message.layer}`);
      layers[message.key] = { ...layers[message.key], [String(message.batch)]: message.entry };
    } else if (message.type === 'row') {
      const { row } = message;
      console.log(
        `step, ${message.policy.padEnd(7)} ${row.label} ${row.resolution}px w${row.width} batch ${row.batch}: ${row.msPerStep.toFixed(0)} ms ` +
          `(${row.examplesPerSecond.toFixed(2)} ex/s; app loop ${row.appExamplesPerSecond.toFixed(2)}; ${row.dispatchesPerStep} dispatches, ` +
          `${row.readbacksPerStep} reads, tensors ${row.tensorsBefore}→${row.tensorsAfter})`,
      );
      rows.push({ policy: message.policy, row });
    } else if (message.type === 'steps') {
      const [builtin, table] = [median(message.builtinMs), median(message.tableMs)];
      // Each table step against the built-in step just before it: the pairs share the machine's load of the moment.
      const paired = median(message.tableMs.map((ms, i) => message.builtinMs[i]! / ms));
      console.log(
        `${message.label} batch ${message.batch}, steps alternating: all-built-in ${builtin.toFixed(0)} ms, table ${table.toFixed(0)} ms ` +
          `(medians of ${message.tableMs.length}); the table's step is ${paired.toFixed(2)}× as fast (median of the pairs' ratios)`,
      );
      comparisons.push(message);
    }
  };
  const request: TuneRequest = { cases, reps: REPS, dataBaseUrl: '/data/fashion-mnist' };
  const { browser } = await withBenchPage(async (page) => {
    await page.exposeFunction('reportTuning', onMessage);
    await page.evaluate(
      (tuneRequest) =>
        new Promise<void>((resolve, reject) => {
          const worker = new Worker('/src/bench/tuneWorker.ts', { type: 'module' });
          worker.onmessage = (event: MessageEvent<FromTuneWorker>) => {
            const message = event.data;
            if (message.type === 'done') resolve();
            else if (message.type === 'error') reject(new Error(message.message));
            else window.reportTuning(message);
          };
          worker.onerror = (event) => reject(new Error(event.message || 'the tuning worker crashed'));
          worker.postMessage(tuneRequest);
        }),
      request,
    );
  });
  const merged = parseTable(JSON.parse(await readFile(TABLE_FILE, 'utf8'))).layers;
  for (const [key, byBatch] of Object.entries(layers)) merged[key] = { ...merged[key], ...byBatch };
  const sorted = Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)));
  await writeFile(TABLE_FILE, JSON.stringify({ adapter: `${adapter} (${browser})`, layers: sorted }, null, 2) + '\n');
  console.log(`wrote ${TABLE_FILE.pathname}`);
  if (jsonFile) {
    await writeFile(jsonFile, JSON.stringify({ date: new Date().toISOString(), runtime: browser, adapter, layers, rows, comparisons }, null, 2) + '\n');
    console.log(`wrote ${jsonFile}`);
  }
}
