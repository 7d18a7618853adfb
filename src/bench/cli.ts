/**
 * `npm run bench`: times the app's own training step in headless Chromium (WebGPU, in a worker, as the app runs it)
 * or in Node with Dawn's WebGPU (`--runtime node`, for GPU servers without a browser).
 *
 *   npm run bench -- [--runtime chromium|node] [--models reduced,faithful] [--batches 8,32] [--steps 3] [--json FILE]
 *
 * Without --batches: the reduced model at batches 8 and 32, the faithful one at 2 (see DEFAULT_PLAN).
 *
 * --profile: per-kernel time shares of one training step, summed by kernel name and family, on --backend (webgpu,
 * wasm or cpu; Node runs webgpu through Dawn), e.g.
 *   npm run bench -- --profile --runtime node --backend wasm --models classroom --batches 32 --json docs/x.json
 *
 * --estimate: no measurement; an on-paper cost of each case's step per kernel family on a laptop GPU, an H100 and an
 * H200, from the layer shapes (src/bench/stepCost.ts states the assumptions), e.g.
 *   npm run bench -- --estimate --models faithful --batches 64
 *
 * --tune (Chromium): times the WebGPU weight-gradient and forward-convolution strategies on every convolution of each
 * case's model, writes src/train/weightGradientTable.json and forwardConvTable.json, then times the step on
 * all-built-in kernels, with the weight-gradient table and with both, e.g.
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
import type { ProfileRow } from './profile';
import { tuneConvKernels } from './tune';
import type { BackendName } from '../domain/backend';

const ROOT = new URL('../../', import.meta.url);

const { values: args } = parseArgs({
  options: {
    runtime: { type: 'string', default: 'chromium' },
    models: { type: 'string', default: DEFAULT_PLAN.models.join(',') },
    batches: { type: 'string' },
    steps: { type: 'string', default: String(DEFAULT_PLAN.steps) },
    json: { type: 'string' },
    tune: { type: 'boolean', default: false },
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

const loadDataInNode = () => {
  const dir = new URL('public/data/fashion-mnist/', ROOT);
  return loadFashionMnist(async (name) => new Uint8Array(await readFile(new URL(name, dir))));
};

/** Dawn's WebGPU in Node: the same engine and backend code, with navigator.gpu provided by the webgpu package. */
async function runInNode(cases: BenchCase[], onRow: (row: BenchRow) => void): Promise<string> {
  await installDawn();
  const { createProbes } = await import('./probes');
  const probes = await createProbes('node', 'webgpu');
  if ('error' in probes) fail(`no usable WebGPU adapter in Node (Dawn): ${probes.error}`);
  const data = await loadDataInNode();
  for (const benchCase of cases) onRow(await benchmarkCase(benchCase, data, probes));
  return `Node ${process.version} with Dawn`;
}

const PROFILE_BACKENDS = ['webgpu', 'wasm', 'cpu'] as const satisfies readonly BackendName[];
type ProfileBackend = (typeof PROFILE_BACKENDS)[number];

async function profileInNode(cases: BenchCase[], backend: ProfileBackend, onRow: (row: ProfileRow) => void): Promise<string> {
  if (backend === 'webgpu') await installDawn();
  const { createProbes } = await import('./probes');
  const { profileCase } = await import('./profile');
  const probes = await createProbes('node', backend);
  if ('error' in probes) fail(`no usable ${backend} backend in Node: ${probes.error}`);
  const data = await loadDataInNode();
  for (const benchCase of cases) onRow(await profileCase(benchCase, data, probes));
  return `Node ${process.version}${backend === 'webgpu' ? ' with Dawn' : ''}`;
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

async function profile(plan: BenchCase[]): Promise<void> {
  const backend = args.backend as ProfileBackend;
  if (!PROFILE_BACKENDS.includes(backend)) fail(`--profile measures ${PROFILE_BACKENDS.join(', ')}, not "${args.backend}"`);
  const profiles: ProfileRow[] = [];
  const onRow = (row: ProfileRow) => {
    printProfile(row);
    profiles.push(row);
  };
  console.log(`Profiling ${plan.length} case(s) on ${args.runtime} / ${backend}: a warm-up, then ${plan[0]?.steps} steps timed and ${plan[0]?.steps} profiled.`);
  let runtimeVersion: string;
  if (args.runtime === 'chromium') runtimeVersion = await profileInChromium(plan, backend, onRow);
  else if (args.runtime === 'node') runtimeVersion = await profileInNode(plan, backend, onRow);
  else fail(`unknown runtime "${args.runtime}"; choose chromium or node`);
  if (args.json) {
    await writeFile(args.json, JSON.stringify({ date: new Date().toISOString(), machine: machineDescription(), runtime: runtimeVersion, rows: profiles }, null, 2) + '\n');
    console.log(`wrote ${args.json}`);
  }
}

const cases = planFromArgs();
if (args.tune) {
  if (args.runtime !== 'chromium') fail('--tune runs in Chromium only');
  await tuneConvKernels(cases, args.json);
  process.exit(0);
}
if (args.estimate) {
  await printEstimates(cases);
  process.exit(0);
}
if (args.profile) {
  await profile(cases);
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
  await writeFile(args.json, JSON.stringify({ date: new Date().toISOString(), machine: machineDescription(), runtime: runtimeVersion, rows }, null, 2) + '\n');
  console.log(`wrote ${args.json}`);
}
