/**
 * `npm run bench`: times the app's own training step in headless Chromium (WebGPU, in a worker, as the app runs it)
 * or in Node with Dawn's WebGPU (`--runtime node`, for GPU servers without a browser).
 *
 *   npm run bench -- [--runtime chromium|node] [--models reduced,faithful] [--batches 8,32] [--steps 3] [--json FILE]
 *                    [--policies tfjs,shaders,tables,app] [--submit-batch 15,60] [--tables FILE] [--data DIR]
 *   npm run bench -- --case faithful:64,128 --case classroom:8,32,64 …   (each model with batches of its own)
 *
 * Without --batches: the reduced model at batches 8 and 32, the faithful one at 2 (see DEFAULT_PLAN). Each WebGPU
 * row is one kernel policy (src/bench/policies.ts: tfjs's kernels, our shaders with tfjs's convolutions, or the
 * app's choice for the adapter; default app) at one WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE (default tfjs's 15), and
 * says how long the step's call takes to return (issue ms: the thread's time to issue it) beside the step's time.
 * --tables reads the convolution tables from FILE instead of the shipped ones (a GPU server's own tuning run).
 *
 * --loop: one epoch of each case (its training and test subsets, e.g. the Classroom preset's) through the app's
 * runTraining beside the same epoch's bare steps, on --backend webgpu or wasm, e.g.
 *   npm run bench -- --loop --models classroom --batches 32 --backend wasm
 *
 * --profile: per-kernel time shares of one training step, summed by kernel name and family, on --backend (webgpu,
 * wasm or cpu; Node runs webgpu through Dawn), e.g.
 *   npm run bench -- --profile --runtime node --backend wasm --models classroom --batches 32 --json docs/x.json
 *
 * --estimate: no measurement; an on-paper cost of each case's step per kernel family on a laptop GPU, an H100 and an
 * H200, from the layer shapes (src/bench/stepCost.ts states the assumptions), e.g.
 *   npm run bench -- --estimate --models faithful --batches 64
 *
 * --tune (Chromium, or Node on Dawn): times every strategy of the three tuned convolution kernels on every
 * convolution of each case's model on this adapter, merges its tables into src/train/convTables.json (or
 * --tables-out FILE), then times the step under tfjs's kernels, our shaders, and our shaders with the new tables, e.g.
 *   npm run bench -- --tune --models classroom --batches 32
 */
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { loadFashionMnist } from '../data/fashionMnist';
import { type AdapterTables, SHIPPED_TABLES, parseAdapterTables } from '../train/convStrategy';
import type { BenchCase, BenchRow, BenchSettings } from './benchmark';
import { BENCH_MODELS, type BenchModel, DEFAULT_PLAN, casesFor } from './cases';
import { withBenchPage } from './chromium';
import { installDawn } from './dawn';
import type { EpochRow } from './epochBench';
import { BENCH_POLICIES, type BenchPolicy, isBenchPolicy } from './policies';
import type { ProfileRow } from './profile';
import { tuneHere, tuneInChromium } from './tune';
import type { BackendName } from '../domain/backend';

const ROOT = new URL('../../', import.meta.url);

const { values: args } = parseArgs({
  options: {
    runtime: { type: 'string', default: 'chromium' },
    models: { type: 'string', default: DEFAULT_PLAN.models.join(',') },
    batches: { type: 'string' },
    case: { type: 'string', multiple: true },
    steps: { type: 'string', default: String(DEFAULT_PLAN.steps) },
    json: { type: 'string' },
    policies: { type: 'string', default: 'app' },
    'submit-batch': { type: 'string', default: '15' },
    tables: { type: 'string' },
    'tables-out': { type: 'string' },
    data: { type: 'string' },
    tune: { type: 'boolean', default: false },
    loop: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    estimate: { type: 'boolean', default: false },
    backend: { type: 'string', default: 'webgpu' },
  },
});

function fail(message: string): never {
  console.error(`bench: ${message}`);
  process.exit(1);
}

function planFromArgs(): BenchCase[] {
  if (args.case !== undefined) return args.case.flatMap((text) => casesOf(text));
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

/** `model:batch,batch…`, for --case. */
function casesOf(text: string): BenchCase[] {
  const [model, batchList] = text.split(':');
  if (model === undefined || !(model in BENCH_MODELS) || batchList === undefined) fail(`--case takes model:batches, e.g. classroom:8,32, not "${text}"`);
  const steps = Number(args.steps);
  if (!Number.isInteger(steps) || steps < 1) fail(`--steps must be a positive integer, not "${args.steps}"`);
  const batches = batchList.split(',').map(Number);
  if (batches.some((b) => !Number.isInteger(b) || b < 1)) fail(`--case ${text}: batches must be positive integers`);
  const name = model as BenchModel;
  return casesFor({ models: [name], batches: { ...DEFAULT_PLAN.batches, [name]: batches }, steps });
}

function settingsFromArgs(tables: readonly AdapterTables[] | undefined): BenchSettings {
  const policies = args.policies.split(',').map((p) => p.trim());
  const unknown = policies.find((p) => !isBenchPolicy(p));
  if (unknown !== undefined) fail(`unknown policy "${unknown}"; choose from ${BENCH_POLICIES.join(', ')}`);
  const submitBatches = args['submit-batch'].split(',').map(Number);
  if (submitBatches.some((b) => !Number.isInteger(b) || b < 1)) fail(`--submit-batch must be positive integers, not "${args['submit-batch']}"`);
  return { policies: policies as BenchPolicy[], submitBatches, tables };
}

async function tablesFromArgs(): Promise<AdapterTables[] | undefined> {
  if (args.tables === undefined) return undefined;
  try {
    return parseAdapterTables(JSON.parse(await readFile(args.tables, 'utf8')));
  } catch (error) {
    fail(`--tables ${args.tables}: ${(error as Error).message}`);
  }
}

const COLUMNS: [string, (r: BenchRow) => string][] = [
  ['runtime', (r) => r.runtime],
  ['model', (r) => `${r.label} ${r.resolution}px w${r.width}`],
  ['batch', (r) => String(r.batch)],
  ['policy', (r) => `${r.policy}/${r.submitBatch}`],
  ['ex/s', (r) => r.examplesPerSecond.toFixed(2)],
  ['app ex/s', (r) => `${r.appExamplesPerSecond.toFixed(2)} (${((100 * r.appExamplesPerSecond) / r.examplesPerSecond).toFixed(0)}%)`],
  ['ms/step', (r) => r.msPerStep.toFixed(1)],
  ['issue ms', (r) => `${r.issueMsPerStep.toFixed(1)}${r.issueUsPerDispatch === null ? '' : ` (${r.issueUsPerDispatch.toFixed(0)} µs/d)`}`],
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

function printEpochRow(row: EpochRow): void {
  console.log(
    `${row.runtime} · ${row.backend} (${row.adapter}) · ${row.label} ${row.resolution}px w${row.width}, batch ${row.batch}` +
      `${row.bnStats === null ? '' : `, BN statistics ${row.bnStats === 'recompute' ? 'recomputed' : 'running'}`}, ` +
      `${row.trainImages} / ${row.testImages} images: steps alone ${row.examplesPerSecond.toFixed(1)} ex/s (${row.stepsSecondsBefore.toFixed(2)} s before the loop, ${row.stepsSecondsAfter.toFixed(2)} s after); ` +
      `whole epoch ${row.epochExamplesPerSecond.toFixed(1)} ex/s (${row.epochSeconds.toFixed(2)} s, ` +
      `${(100 * row.epochExamplesPerSecond / row.examplesPerSecond).toFixed(0)} %; in the loop: steps ${row.loopStepsSeconds.toFixed(2)} s, ` +
      `then ${row.endOfEpochSeconds.toFixed(2)} s of statistics, test pass and read; ${row.readsPerEpoch} reads; ` +
      `${(100 * row.arithmeticShare).toFixed(0)} % on an adapter bound by arithmetic alone); tensors ${row.tensorsBefore}→${row.tensorsAfter}`,
  );
}

const dataDir = () => (args.data === undefined ? new URL('public/data/fashion-mnist/', ROOT) : new URL(`file://${args.data.replace(/\/?$/, '/')}`));

const loadDataInNode = () => loadFashionMnist(async (name) => new Uint8Array(await readFile(new URL(name, dataDir()))));

/** tfjs's backend in this process, set up as the worker does (Dawn's WebGPU for webgpu), with the benchmark's probes. */
async function probesInNode(backend: BackendName) {
  if (backend === 'webgpu') await installDawn();
  const { createProbes } = await import('./probes');
  const probes = await createProbes('node', backend);
  if ('error' in probes) fail(backend === 'webgpu' ? `no usable WebGPU adapter in Node (Dawn): ${probes.error}` : `no usable ${backend} backend in Node: ${probes.error}`);
  return probes;
}

const nodeRuntime = (backend: string) => `Node ${process.version}${backend === 'webgpu' ? ' with Dawn' : ''}`;

async function runInChromium(cases: BenchCase[], settings: BenchSettings, onRow: (row: BenchRow) => void): Promise<string> {
  const { browser } = await withBenchPage(async (page) => {
    await page.exposeFunction('reportBenchRow', onRow);
    await page.evaluate(
      ([benchCases, benchSettings]) =>
        window.runBenchmark(benchCases, benchSettings, (row) => (window as unknown as { reportBenchRow(r: BenchRow): void }).reportBenchRow(row)),
      [cases, settings] as const,
    );
  });
  return browser;
}

async function runInNode(cases: BenchCase[], settings: BenchSettings, onRow: (row: BenchRow) => void): Promise<string> {
  const probes = await probesInNode('webgpu');
  const { benchmarkCases } = await import('./benchmark');
  await benchmarkCases(cases, settings, await loadDataInNode(), probes, onRow);
  return nodeRuntime('webgpu');
}

const LOOP_BACKENDS = ['webgpu', 'wasm'] as const satisfies readonly BackendName[];

async function loop(cases: BenchCase[], tables?: readonly AdapterTables[]): Promise<void> {
  const backend = args.backend as (typeof LOOP_BACKENDS)[number];
  if (!LOOP_BACKENDS.includes(backend)) fail(`--loop measures ${LOOP_BACKENDS.join(', ')}, not "${args.backend}"`);
  const rows: EpochRow[] = [];
  const onRow = (row: EpochRow) => {
    printEpochRow(row);
    rows.push(row);
  };
  console.log(`Timing one epoch of ${cases.length} case(s) on ${args.runtime} / ${backend}: its steps alone, then the whole epoch in runTraining.`);
  let runtime: string;
  if (args.runtime === 'chromium') {
    ({ browser: runtime } = await withBenchPage(async (page) => {
      await page.exposeFunction('reportEpochRow', onRow);
      await page.evaluate(
        ([benchCases, name]) => window.runEpochs(benchCases, name, (row) => (window as unknown as { reportEpochRow(r: EpochRow): void }).reportEpochRow(row)),
        [cases, backend] as const,
      );
    }));
  } else if (args.runtime === 'node') {
    const probes = await probesInNode(backend);
    const { benchmarkEpoch, epochCases } = await import('./epochBench');
    const { usePolicy } = await import('./policies');
    usePolicy(backend, 'app', probes.adapterDescription, tables);
    const data = await loadDataInNode();
    for (const benchCase of cases.flatMap(epochCases)) onRow(await benchmarkEpoch(benchCase, data, probes));
    runtime = nodeRuntime(backend);
  } else fail(`unknown runtime "${args.runtime}"; choose chromium or node`);
  await writeReport({ runtime, rows });
}

const PROFILE_BACKENDS = ['webgpu', 'wasm', 'cpu'] as const satisfies readonly BackendName[];
type ProfileBackend = (typeof PROFILE_BACKENDS)[number];

async function profileInNode(cases: BenchCase[], backend: ProfileBackend, onRow: (row: ProfileRow) => void, tables?: readonly AdapterTables[]): Promise<string> {
  const probes = await probesInNode(backend);
  const { profileCase } = await import('./profile');
  const data = await loadDataInNode();
  for (const benchCase of cases) onRow(await profileCase(benchCase, data, probes, tables));
  return nodeRuntime(backend);
}

async function profileInChromium(cases: BenchCase[], backend: ProfileBackend, onRow: (row: ProfileRow) => void): Promise<string> {
  const { browser } = await withBenchPage(async (page) => {
    await page.exposeFunction('reportProfileRow', onRow);
    await page.evaluate(
      ([benchCases, name]) =>
        window.runProfile(benchCases, name, (row) => (window as unknown as { reportProfileRow(r: ProfileRow): void }).reportProfileRow(row)),
      [cases, backend] as const,
    );
  });
  return browser;
}

const percent = (share: number) => `${share.toFixed(1)} %`;

function printProfile(row: ProfileRow): void {
  const { step } = row;
  const model = `${row.label} ${row.resolution}px w${row.width}${row.batchNorm ? ' BN' : ''}, batch ${row.batch}`;
  console.log(`\n${row.runtime} · ${row.backend} (${row.adapter}) · ${model}`);
  console.log(
    `step ${row.stepMs.toFixed(1)} ms unprofiled, ${row.profiledStepMs.toFixed(1)} ms profiled; ` +
      `kernels sum to ${step.totalMs.toFixed(1)} ms in ${step.calls} calls; timed by ${row.timing}`,
  );
  console.log(['share'.padStart(8), 'ms'.padStart(9), 'calls'.padStart(6), '  kernel'].join(''));
  for (const k of step.kernels) {
    console.log([percent(k.share).padStart(8), k.ms.toFixed(2).padStart(9), String(k.calls).padStart(6), `  ${k.kernel} (${k.family})`].join(''));
  }
  console.log(['share'.padStart(8), 'ms'.padStart(9), 'calls'.padStart(6), '  family'].join(''));
  for (const f of step.families) {
    console.log([percent(f.share).padStart(8), f.ms.toFixed(2).padStart(9), String(f.calls).padStart(6), `  ${f.family}`].join(''));
  }
  if (step.scopes.length > 0) console.log(`custom-gradient scopes left out of the sums (their kernels are counted): ${step.scopes.join(', ')}`);
}

async function printEstimates(plan: BenchCase[]): Promise<void> {
  const tf = await import('@tensorflow/tfjs');
  const { buildRunNetwork } = await import('../model/googlenet');
  const { summarizeModel } = await import('../model/summary');
  const { ESTIMATE_GPUS, TFJS_WEBGPU_ASSUMPTIONS, estimateStep, layerShapes } = await import('./stepCost');
  await tf.setBackend('cpu');
  for (const { label, config } of plan) {
    const model = buildRunNetwork(config);
    const layers = layerShapes(model);
    const params = summarizeModel(model).totalParams;
    model.dispose();
    for (const gpu of ESTIMATE_GPUS) {
      const step = estimateStep(layers, config.batchSize, params, gpu, TFJS_WEBGPU_ASSUMPTIONS);
      console.log(`\nESTIMATE ${label} ${config.resolution}px w${config.width}, batch ${config.batchSize} on ${gpu.name}`);
      console.log(['GFLOP'.padStart(9), 'MB'.padStart(9), 'roofline ms'.padStart(12), 'as-written ms'.padStart(14), '  family'].join(''));
      for (const f of step.families) {
        console.log([f.gflop.toFixed(1).padStart(9), f.megabytes.toFixed(0).padStart(9), f.rooflineMs.toFixed(2).padStart(12), f.asWrittenMs.toFixed(2).padStart(14), `  ${f.family}`].join(''));
      }
      console.log(
        `step: roofline ${step.totalRooflineMs.toFixed(1)} ms; as written ${step.totalAsWrittenMs.toFixed(1)} ms ` +
          `(dispatch floor ${step.dispatchMs.toFixed(1)} ms); ${((config.batchSize * 1000) / step.totalAsWrittenMs).toFixed(0)} ex/s`,
      );
    }
  }
}

const machineDescription = () => ({
  platform: `${os.type()} ${os.release()} ${os.arch()}`,
  cpus: os.cpus().length,
  cpu: os.cpus()[0]?.model,
  memoryGB: Math.round(os.totalmem() / 2 ** 30),
});

async function writeReport(report: { runtime: string; rows: unknown[] }): Promise<void> {
  if (!args.json) return;
  await writeFile(args.json, JSON.stringify({ date: new Date().toISOString(), machine: machineDescription(), ...report }, null, 2) + '\n');
  console.log(`wrote ${args.json}`);
}

async function profile(plan: BenchCase[], tables?: readonly AdapterTables[]): Promise<void> {
  const backend = args.backend as ProfileBackend;
  if (!PROFILE_BACKENDS.includes(backend)) fail(`--profile measures ${PROFILE_BACKENDS.join(', ')}, not "${args.backend}"`);
  const rows: ProfileRow[] = [];
  const onRow = (row: ProfileRow) => {
    printProfile(row);
    rows.push(row);
  };
  console.log(`Profiling ${plan.length} case(s) on ${args.runtime} / ${backend}: a warm-up, then ${plan[0]?.steps} steps timed and ${plan[0]?.steps} profiled.`);
  let runtime: string;
  if (args.runtime === 'chromium') runtime = await profileInChromium(plan, backend, onRow);
  else if (args.runtime === 'node') runtime = await profileInNode(plan, backend, onRow, tables);
  else fail(`unknown runtime "${args.runtime}"; choose chromium or node`);
  await writeReport({ runtime, rows });
}

async function tune(cases: BenchCase[], tables: readonly AdapterTables[] | undefined): Promise<void> {
  const output = { tablesFile: args['tables-out'] ?? new URL('src/train/convTables.json', ROOT), jsonFile: args.json };
  if (args.runtime === 'chromium') await tuneInChromium(cases, output);
  else if (args.runtime === 'node') {
    const probes = await probesInNode('webgpu');
    await tuneHere(cases, await loadDataInNode(), probes, nodeRuntime('webgpu'), tables ?? SHIPPED_TABLES, output);
  } else fail(`unknown runtime "${args.runtime}"; choose chromium or node`);
}

const cases = planFromArgs();
const tables = await tablesFromArgs();
if (args.tune) {
  await tune(cases, tables);
  process.exit(0);
}
if (args.estimate) {
  await printEstimates(cases);
  process.exit(0);
}
if (args.profile) {
  await profile(cases, tables);
  process.exit(0);
}
if (args.loop) {
  await loop(cases, tables);
  process.exit(0);
}
const settings = settingsFromArgs(tables);
const rows: BenchRow[] = [];
const onRow = (row: BenchRow) => {
  printRow(row, rows.length);
  rows.push(row);
};
console.log(`Benchmarking ${cases.length} case(s) on ${args.runtime} (policies ${settings.policies.join(', ')}; submit every ${settings.submitBatches.join(', ')} dispatches).`);
let runtime: string;
if (args.runtime === 'chromium') runtime = await runInChromium(cases, settings, onRow);
else if (args.runtime === 'node') runtime = await runInNode(cases, settings, onRow);
else fail(`unknown runtime "${args.runtime}"; choose chromium or node`);
await writeReport({ runtime, rows });
