import { readFile, writeFile } from 'node:fs/promises';
import type { ImageDataset } from '../data/dataset';
import { type AdapterTables, parseAdapterTables } from '../train/convStrategy';
import type { BenchCase, BenchProbes, BenchRow } from './benchmark';
import { withBenchPage } from './chromium';
import type { FromTuneWorker, TuneRequest } from './tuneWorker';
import { type TuneMessage, tuneConvKernels } from './tuning';

/** Timed runs per strategy and layer: the median of five steadies a busy machine's figures. */
const REPS = 5;

declare global {
  interface Window {
    reportTuning(message: FromTuneWorker): void;
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Prints the tuning's progress and keeps what the report file needs. */
function tuningLog() {
  const rows: { policy: string; row: BenchRow }[] = [];
  const comparisons: Extract<TuneMessage, { type: 'steps' }>[] = [];
  let adapter = '';
  const onMessage = (message: TuneMessage) => {
    if (message.type === 'adapter') adapter = message.adapter;
    else if (message.type === 'layer') {
      const times = Object.entries(message.entry.ms).map(([s, t]) => `${s} ${(t as number).toFixed(2)}`).join(', ');
      console.log(`${message.kernel.padEnd(15)} ${message.key.padEnd(40)} n${message.batch}: ${message.entry.strategy.padEnd(12)} (ms: ${times})  ${message.layer}`);
    } else if (message.type === 'row') {
      const { row } = message;
      console.log(
        `step, ${message.policy.padEnd(8)} ${row.label} ${row.resolution}px w${row.width} batch ${row.batch}: ${row.msPerStep.toFixed(1)} ms ` +
          `(issue ${row.issueMsPerStep.toFixed(1)} ms; ${row.examplesPerSecond.toFixed(1)} ex/s; app loop ${row.appExamplesPerSecond.toFixed(1)}; ` +
          `${row.dispatchesPerStep} dispatches, ${row.readbacksPerStep} reads, tensors ${row.tensorsBefore}→${row.tensorsAfter})`,
      );
      rows.push({ policy: message.policy, row });
    } else {
      const baseline = message.ms.tfjs;
      // Each step against tfjs's step of the same round: the pair shares the machine's load of the moment.
      const summary = Object.entries(message.ms).map(([policy, times]) => {
        const ratio = median(times.map((ms, i) => baseline[i]! / ms));
        return `${policy} ${median(times).toFixed(1)} ms (${ratio.toFixed(2)}×)`;
      });
      console.log(`${message.label} batch ${message.batch}, policies taking turns, medians of ${baseline.length}: ${summary.join(', ')}; × is tfjs's step over this one`);
      comparisons.push(message);
    }
  };
  return { onMessage, report: () => ({ adapter, rows, comparisons }) };
}

/** Puts `tables` into the table file in place of any earlier entry for the same adapter, layers sorted. */
export async function mergeTables(file: string | URL, tables: AdapterTables): Promise<void> {
  const existing = parseAdapterTables(JSON.parse(await readFile(file, 'utf8')));
  const same = (t: AdapterTables) => JSON.stringify(t.adapter) === JSON.stringify(tables.adapter);
  const sorted = (layers: Record<string, unknown>) => Object.fromEntries(Object.entries(layers).sort(([a], [b]) => a.localeCompare(b)));
  const entry = {
    ...tables,
    weightGradient: sorted(tables.weightGradient),
    forward: sorted(tables.forward),
    inputGradient: sorted(tables.inputGradient),
  };
  const merged = existing.some(same) ? existing.map((t) => (same(t) ? entry : t)) : [...existing, entry];
  await writeFile(file, JSON.stringify({ tables: merged }, null, 2) + '\n');
  console.log(`wrote ${typeof file === 'string' ? file : file.pathname}`);
}

export interface TuneOutput {
  /** Where the adapter's tables are merged: the shipped file, or a tuning run's own. */
  tablesFile: string | URL;
  jsonFile?: string;
}

async function finish(output: TuneOutput, tables: AdapterTables, runtime: string, report: ReturnType<ReturnType<typeof tuningLog>['report']>) {
  await mergeTables(output.tablesFile, tables);
  if (output.jsonFile) {
    await writeFile(output.jsonFile, JSON.stringify({ date: new Date().toISOString(), runtime, ...report, tables }, null, 2) + '\n');
    console.log(`wrote ${output.jsonFile}`);
  }
}

/** In Chromium's worker, on its WebGPU adapter. */
export async function tuneInChromium(cases: BenchCase[], output: TuneOutput): Promise<void> {
  const log = tuningLog();
  let tables: AdapterTables | undefined;
  const onMessage = (message: FromTuneWorker) => {
    if (message.type === 'tables') tables = message.tables;
    else if (message.type !== 'done' && message.type !== 'error') log.onMessage(message);
  };
  const { browser } = await withBenchPage(async (page) => {
    await page.exposeFunction('reportTuning', onMessage);
    const request: TuneRequest = { cases, reps: REPS, dataBaseUrl: '/data/fashion-mnist', browser: page.context().browser()?.version() ?? 'Chromium' };
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
      { ...request, browser: `Chromium ${request.browser}` },
    );
  });
  if (tables === undefined) throw new Error('the tuning worker ended without its tables');
  await finish(output, tables, browser, log.report());
}

/** In this process (Node with Dawn's WebGPU), on the adapter the probes were made for. */
export async function tuneHere(cases: BenchCase[], data: ImageDataset, probes: BenchProbes, runtime: string, earlier: readonly AdapterTables[], output: TuneOutput) {
  const log = tuningLog();
  const tables = await tuneConvKernels(cases, data, probes, REPS, runtime, log.onMessage, earlier);
  await finish(output, tables, runtime, log.report());
  return tables;
}
