/**
 * `npm run reproduce`: trains the first-visit settings or a d2l preset at a scale through the app's own engine, one
 * run per seed, and prints each epoch beside the PyTorch reference run with the same settings
 * (public/reference/pytorch-reference.json, written by scripts/parity/reference_curves.py), then each side's band
 * of final test accuracy. A measurement, not a test: it never fails on a gap, only on a mistake.
 *
 *   npm run reproduce -- --run first-visit|<preset id>|<1-5> [--scale classroom|reduced|faithful]
 *                        [--seeds 1,2,3] [--runtime node|wasm|dawn|chromium] [--reference FILE] [--data DIR] [--json FILE]
 *
 *   --run       first-visit (what a first visit shows), or a d2l preset: its id (d2l-lr0.05-bs64) or its number
 *               in the study, 1–5
 *   --scale     a preset's scale (default classroom); not for first-visit, which has settings of its own
 *   --seeds     one app run per seed (default 1,2,3); each is paired with the reference of the same seed, or,
 *               where the file has none, another seed's (the table says which)
 *   --runtime   node (default): tfjs's cpu backend, deterministic but slow (≈ 3 examples/s at the classroom size,
 *               one core); wasm: tfjs's wasm backend with the app's gradient kernels (one thread in Node, tens of
 *               times faster than cpu); dawn: WebGPU in Node through Dawn (the webgpu package), for a GPU server without a
 *               browser; chromium: headless Chromium on WebGPU, in the benchmark's worker
 *   --reference the reference file (default public/reference/pytorch-reference.json)
 *   --data      Fashion-MNIST's directory for the Node runtimes (default public/data/fashion-mnist)
 *   --json      also write every figure to FILE
 */
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { loadFashionMnist } from '../data/fashionMnist';
import type { ReproductionNote } from './protocol';
import { withBenchPage } from './chromium';
import { installDawn } from './dawn';
import {
  type AppEpoch,
  type ReproduceOptions,
  ReproduceError,
  type SeedPlan,
  type SeedResult,
  bandsOf,
  bandsReport,
  describeRun,
  loadReferenceFile,
  parseReproduceArgs,
  planSeeds,
  referenceRuns,
  seedReport,
} from './reproduction';
import { trainForReproduction } from './reproduceRun';
import type { BatchLossSample, EpochReport } from '../domain/training';


function fail(message: string): never {
  console.error(`reproduce: ${message}`);
  process.exit(1);
}

/** How often the live loss is printed between epochs: enough to show a slow run is alive. */
const PROGRESS_INTERVAL_MS = 30_000;

/** Gathers one seed's epochs as they arrive, and says each one, since a run takes minutes. */
class SeedRecorder {
  readonly epochs: AppEpoch[] = [];
  warmupSeconds = 0;
  private lastProgress = Date.now();
  constructor(private readonly plan: SeedPlan) {}

  batch = (sample: BatchLossSample): void => {
    if (Date.now() - this.lastProgress < PROGRESS_INTERVAL_MS) return;
    this.lastProgress = Date.now();
    console.log(
      `  seed ${this.plan.seed}, epoch ${sample.epoch}: batch ${sample.batch}/${sample.batchesPerEpoch}, ` +
        `loss ${sample.loss.toFixed(3)} (${sample.elapsedSeconds.toFixed(0)} s)`,
    );
  };

  epoch = (report: EpochReport): void => {
    const { epoch, trainLoss, trainAccuracy, testAccuracy, examplesPerSecond, elapsedSeconds } = report;
    this.epochs.push({ epoch, trainLoss, trainAccuracy, testAccuracy, examplesPerSecond, elapsedSeconds });
    console.log(
      `  seed ${this.plan.seed}, epoch ${epoch}/${this.plan.config.epochs}: train loss ${trainLoss.toFixed(4)}, ` +
        `test ${(100 * testAccuracy).toFixed(1)} % (${elapsedSeconds.toFixed(0)} s, ${examplesPerSecond.toFixed(1)} ex/s)`,
    );
  };

  result(runtime: string): SeedResult {
    return { ...this.plan, runtime, epochs: this.epochs, warmupSeconds: this.warmupSeconds };
  }
}

type TrainSeed = (plan: SeedPlan) => Promise<SeedResult>;

/** tfjs's cpu or wasm backend, or WebGPU through Dawn: the same set-up the worker makes, without a browser. */
async function inNode(backend: 'cpu' | 'wasm' | 'webgpu', dataDir: string, use: (train: TrainSeed) => Promise<void>): Promise<void> {
  if (backend === 'webgpu') await installDawn();
  // Imported only now: tfjs's WebGPU backend registers itself on import, and only where navigator.gpu exists.
  const [{ setUpBackend }, { adapterLabel }] = await Promise.all([import('../worker/backend'), import('./probes')]);
  const setup = await setUpBackend(backend);
  if (!setup.ok) throw new ReproduceError(`${backend === 'webgpu' ? 'no usable WebGPU adapter in Node (Dawn): ' : ''}${setup.reason}`);
  const dir = new URL(`${dataDir.replace(/\/?$/, '/')}`, new URL(`file://${process.cwd()}/`));
  const data = await loadFashionMnist(async (name) => new Uint8Array(await readFile(new URL(name, dir))));
  const runtime =
    backend !== 'webgpu' ? `tfjs ${backend} in Node ${process.version}` : `WebGPU (${adapterLabel(setup.adapter, backend)}) in Node ${process.version} with Dawn`;
  await use(async (plan) => {
    const recorder = new SeedRecorder(plan);
    await trainForReproduction(plan.config, data, setup, {
      onWarmup: (seconds) => (recorder.warmupSeconds = seconds),
      onBatchLoss: recorder.batch,
      onEpoch: recorder.epoch,
    });
    return recorder.result(runtime);
  });
}

/** What the CLI exposes to the page (Playwright's exposeFunction), for the worker's messages to reach it. */
interface Reporters {
  reportReproductionEpoch(report: EpochReport): void;
  reportReproductionNote(note: ReproductionNote): void;
}

async function inChromium(use: (train: TrainSeed) => Promise<void>): Promise<void> {
  await withBenchPage(async (page) => {
    let recorder: SeedRecorder | null = null;
    let adapter = 'WebGPU';
    await page.exposeFunction('reportReproductionEpoch', (report: EpochReport) => recorder?.epoch(report));
    await page.exposeFunction('reportReproductionNote', (note: ReproductionNote) => {
      if (note.type === 'backend') adapter = note.adapter;
      else if (note.type === 'batch') recorder?.batch(note.sample);
      else if (recorder) recorder.warmupSeconds = note.seconds;
    });
    const browser = page.context().browser()?.version() ?? 'unknown version';
    await use(async (plan) => {
      const current = new SeedRecorder(plan);
      recorder = current;
      await page.evaluate((config) => {
        const reporters = window as unknown as Reporters;
        return window.runReproduction(config, (r) => reporters.reportReproductionEpoch(r), (n) => reporters.reportReproductionNote(n));
      }, plan.config);
      return current.result(`WebGPU (${adapter}) in Chromium ${browser}`);
    });
  });
}

async function main(options: ReproduceOptions): Promise<void> {
  const file = await loadReferenceFile(options.referencePath, (path) => readFile(path, 'utf8'));
  const plans = planSeeds(options, file);
  const references = referenceRuns(options, file);
  console.log(
    `Reproducing the ${describeRun(options.run)} on ${options.runtime}, seeds ${options.seeds.join(', ')}; ` +
      `reference ${options.referencePath} (${file.generator}), seeds ${references.map((r) => r.settings.seed).join(', ')}.`,
  );
  const results: SeedResult[] = [];
  const runAll = async (train: TrainSeed) => {
    for (const plan of plans) {
      let result: SeedResult;
      try {
        result = await train(plan);
      } catch (error) {
        // Thrown rather than exiting here, so the browser and the server are closed on the way out.
        throw new ReproduceError(`seed ${plan.seed}: ${(error as Error).message}`);
      }
      results.push(result);
      console.log(`\n${seedReport(result)}\n`);
    }
  };
  if (options.runtime === 'chromium') await inChromium(runAll);
  else await inNode(options.runtime === 'node' ? 'cpu' : options.runtime === 'wasm' ? 'wasm' : 'webgpu', options.dataDir, runAll);

  const bands = bandsOf(results, references);
  console.log(bandsReport(bands));
  if (options.json) {
    const machine = { platform: `${os.type()} ${os.release()} ${os.arch()}`, cpus: os.cpus().length, cpu: os.cpus()[0]?.model };
    const report = { date: new Date().toISOString(), machine, run: describeRun(options.run), referenceFile: options.referencePath, results, bands };
    await writeFile(options.json, JSON.stringify(report, null, 2) + '\n');
    console.log(`wrote ${options.json}`);
  }
}

try {
  const parsed = parseReproduceArgs(process.argv.slice(2));
  if (parsed === 'help') {
    const source = await readFile(new URL(import.meta.url), 'utf8');
    console.log(source.slice(source.indexOf('/**') + 4, source.indexOf('*/')).replace(/^ \* ?/gm, ''));
  } else {
    await main(parsed);
  }
} catch (error) {
  if (error instanceof ReproduceError) fail(error.message);
  throw error;
}
