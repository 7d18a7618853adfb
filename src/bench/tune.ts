import { readFile, writeFile } from 'node:fs/promises';
import { FORWARD_STRATEGIES, type StrategyTable, WEIGHT_GRADIENT_STRATEGIES, parseTable } from '../train/convStrategy';
import type { BenchCase, BenchRow } from './benchmark';
import { withBenchPage } from './chromium';
import type { FromTuneWorker, TuneRequest, TunedKernel } from './tuneWorker';

/** Each tuned kernel's table, the strategies it may hold, and how the log names it. */
const TABLES = {
  weightGradient: { file: new URL('../train/weightGradientTable.json', import.meta.url), strategies: WEIGHT_GRADIENT_STRATEGIES, name: 'weight gradient' },
  forward: { file: new URL('../train/forwardConvTable.json', import.meta.url), strategies: FORWARD_STRATEGIES, name: 'forward' },
} as const;

type Measured = StrategyTable<string>['layers'];

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Timed runs per strategy and layer: the median of five steadies a busy machine's figures. */
const REPS = 5;

declare global {
  interface Window {
    reportTuning(message: FromTuneWorker): void;
  }
}

/** Merges what was measured into a kernel's shipped table, layers sorted so that the file's diffs stay readable. */
async function writeTable(kernel: TunedKernel, measured: Measured, adapter: string): Promise<void> {
  const { file, strategies, name } = TABLES[kernel];
  const merged: Measured = parseTable(JSON.parse(await readFile(file, 'utf8')), strategies as readonly string[], name).layers;
  for (const [key, byBatch] of Object.entries(measured)) merged[key] = { ...merged[key], ...byBatch };
  const sorted = Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)));
  await writeFile(file, JSON.stringify({ adapter, layers: sorted }, null, 2) + '\n');
  console.log(`wrote ${file.pathname}`);
}

/**
 * `npm run bench -- --tune`: times the strategies of both tuned kernels (the weight gradient and the forward
 * convolution) on every distinct convolution of each case's model at its batch (src/bench/tuneWorker.ts, in
 * Chromium's WebGPU), writes the choices into the tables the app ships, then times each case's training step with
 * tfjs's kernels everywhere, with the weight-gradient table, and with both (`jsonFile`: every layer's timings and
 * every step's figures).
 */
export async function tuneConvKernels(cases: BenchCase[], jsonFile?: string): Promise<void> {
  const rows: { policy: string; row: BenchRow }[] = [];
  const comparisons: Extract<FromTuneWorker, { type: 'steps' }>[] = [];
  let adapter = '';
  const measured: Record<TunedKernel, Measured> = { weightGradient: {}, forward: {} };
  const onMessage = (message: FromTuneWorker) => {
    if (message.type === 'adapter') adapter = message.adapter;
    else if (message.type === 'layer') {
      const { ms, strategy } = message.entry;
      const times = Object.entries<number>(ms).map(([s, t]) => `${s} ${t.toFixed(1)}`).join(', ');
      const kernel = TABLES[message.kernel].name;
      console.log(`${kernel.padEnd(15)} ${message.key.padEnd(40)} n${message.batch}: ${strategy.padEnd(12)} (ms: ${times})  ${message.layer}`);
      const table = measured[message.kernel];
      table[message.key] = { ...table[message.key], [String(message.batch)]: message.entry };
    } else if (message.type === 'row') {
      const { row } = message;
      console.log(
        `step, ${message.policy.padEnd(11)} ${row.label} ${row.resolution}px w${row.width} batch ${row.batch}: ${row.msPerStep.toFixed(0)} ms ` +
          `(${row.examplesPerSecond.toFixed(2)} ex/s; app loop ${row.appExamplesPerSecond.toFixed(2)}; ${row.dispatchesPerStep} dispatches, ` +
          `${row.readbacksPerStep} reads, tensors ${row.tensorsBefore}→${row.tensorsAfter})`,
      );
      rows.push({ policy: message.policy, row });
    } else if (message.type === 'steps') {
      const builtin = message.ms['built-in'];
      // Each step against the all-built-in step of the same round: the pair shares the machine's load of the moment.
      const summary = Object.entries(message.ms).map(([policy, times]) => {
        const ratio = median(times.map((ms, i) => builtin[i]! / ms));
        return `${policy} ${median(times).toFixed(0)} ms (${ratio.toFixed(2)}×)`;
      });
      console.log(
        `${message.label} batch ${message.batch}, policies taking turns, medians of ${builtin.length}: ${summary.join(', ')}; ` +
          `× is the median over rounds of the all-built-in step's time over this one's`,
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
  await writeTable('weightGradient', measured.weightGradient, `${adapter} (${browser})`);
  await writeTable('forward', measured.forward, `${adapter} (${browser})`);
  if (jsonFile) {
    await writeFile(jsonFile, JSON.stringify({ date: new Date().toISOString(), runtime: browser, adapter, layers: measured, rows, comparisons }, null, 2) + '\n');
    console.log(`wrote ${jsonFile}`);
  }
}
