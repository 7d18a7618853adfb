/**
 * `npm run bench`: times the app's own training step in headless Chromium (WebGPU, in a worker, as the app runs it)
 * or in Node with Dawn's WebGPU (`--runtime node`, for GPU servers without a browser).
 *
 *   npm run bench -- [--runtime chromium|node] [--models reduced,faithful] [--batches 8,32] [--steps 3] [--json FILE]
 *
 * Without --batches: the reduced model at batches 8 and 32, the faithful one at 2 (see DEFAULT_PLAN).
 *
 * --tune (Chromium): times the WebGPU weight-gradient strategies on every convolution of each case's model, writes
 * src/train/weightGradientTable.json, then times the step on all-built-in kernels and with the table, e.g.
 *   npm run bench -- --tune --models classroom --batches 32
 */
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { loadFashionMnist } from '../data/fashionMnist';
import { type BenchCase, type BenchRow, benchmarkCase } from './benchmark';
import { BENCH_MODELS, type BenchModel, DEFAULT_PLAN, casesFor } from './cases';
import { withBenchPage } from './chromium';
import { installDawn } from './dawn';
import { tuneWeightGradients } from './tune';

const ROOT = new URL('../../', import.meta.url);

const { values: args } = parseArgs({
  options: {
    runtime: { type: 'string', default: 'chromium' },
    models: { type: 'string', default: DEFAULT_PLAN.models.join(',') },
    batches: { type: 'string' },
    steps: { type: 'string', default: String(DEFAULT_PLAN.steps) },
    json: { type: 'string' },
    tune: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  console.error(`bench: ${message}`);
  process.exit(1);
}

function planFromArgs(): BenchCase[] {
  const models = args.models.split(',').map((m) => m.trim());
  for (const model of models) {
    if (!(model in BENCH_MODELS)) fail(`unknown model "${model}"; choose from ${Object.keys(BENCH_MODELS).join(', ')}`);
  }
  const steps = Number(args.steps);
  if (!Number.isInteger(steps) || steps < 1) fail(`--steps must be a positive integer, not "${args.steps}"`);
  if (args.batches === undefined) return casesFor({ ...DEFAULT_PLAN, models: models as BenchModel[], steps });
  const batches = args.batches.split(',').map(Number);
  if (batches.some((b) => !Number.isInteger(b) || b < 1)) fail(`--batches must be positive integers, not "${args.batches}"`);
  return casesFor({ models: models as BenchModel[], batches: { reduced: batches, faithful: batches, classroom: batches }, steps });
}

const COLUMNS: [string, (r: BenchRow) => string][] = [
  ['runtime', (r) => r.runtime],
  ['model', (r) => `${r.label} ${r.resolution}px w${r.width}`],
  ['batch', (r) => String(r.batch)],
  ['ex/s', (r) => r.examplesPerSecond.toFixed(2)],
  ['app ex/s', (r) => `${r.appExamplesPerSecond.toFixed(2)} (${((100 * r.appExamplesPerSecond) / r.examplesPerSecond).toFixed(0)}%)`],
  ['ms/step', (r) => r.msPerStep.toFixed(0)],
  ['1st step ms', (r) => r.firstStepMs.toFixed(0)],
  ['dispatch/step', (r) => String(r.dispatchesPerStep ?? `${r.kernelsPerStep} kernels`)],
  ['reads/step', (r) => String(r.readbacksPerStep)],
  ['tensors before→after', (r) => `${r.tensorsBefore}→${r.tensorsAfter}`],
  ['MB allocated before→after', (r) => `${(r.bytesBefore / 1e6).toFixed(1)}→${(r.bytesAfter / 1e6).toFixed(1)}`],
  ['GFLOP/s', (r) => r.achievedGflops.toFixed(2)],
];

function printRow(row: BenchRow, index: number): void {
  if (index === 0) console.log(COLUMNS.map(([name]) => name.padEnd(14)).join(' '));
  console.log(COLUMNS.map(([, cell]) => cell(row).padEnd(14)).join(' '));
}

async function runInChromium(cases: BenchCase[], onRow: (row: BenchRow) => void): Promise<string> {
  const { browser } = await withBenchPage(async (page) => {
    await page.exposeFunction('reportBenchRow', onRow);
    await page.evaluate(
      (benchCases) => window.runBenchmark(benchCases, (row) => (window as unknown as { reportBenchRow(r: BenchRow): void }).reportBenchRow(row)),
      cases,
    );
  });
  return browser;
}

/** Dawn's WebGPU in Node: the same engine and backend code, with navigator.gpu provided by the webgpu package. */
async function runInNode(cases: BenchCase[], onRow: (row: BenchRow) => void): Promise<string> {
  await installDawn();
  const { createProbes } = await import('./probes');
  const probes = await createProbes('node', 'webgpu');
  if ('error' in probes) fail(`no usable WebGPU adapter in Node (Dawn): ${probes.error}`);
  const dir = new URL('public/data/fashion-mnist/', ROOT);
  const data = await loadFashionMnist(async (name) => new Uint8Array(await readFile(new URL(name, dir))));
  for (const benchCase of cases) onRow(await benchmarkCase(benchCase, data, probes));
  return `Node ${process.version} with Dawn`;
}

const cases = planFromArgs();
if (args.tune) {
  if (args.runtime !== 'chromium') fail('--tune runs in Chromium only');
  await tuneWeightGradients(cases, args.json);
  process.exit(0);
}
const rows: BenchRow[] = [];
const onRow = (row: BenchRow) => {
  printRow(row, rows.length);
  rows.push(row);
};
console.log(`Benchmarking ${cases.length} case(s) on ${args.runtime}; a faithful step on a software adapter takes ~90 s.`);
let runtimeVersion: string;
if (args.runtime === 'chromium') runtimeVersion = await runInChromium(cases, onRow);
else if (args.runtime === 'node') runtimeVersion = await runInNode(cases, onRow);
else fail(`unknown runtime "${args.runtime}"; choose chromium or node`);

if (args.json) {
  const machine = { platform: `${os.type()} ${os.release()} ${os.arch()}`, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGB: Math.round(os.totalmem() / 2 ** 30) };
  await writeFile(args.json, JSON.stringify({ date: new Date().toISOString(), machine, runtime: runtimeVersion, rows }, null, 2) + '\n');
  console.log(`wrote ${args.json}`);
}
