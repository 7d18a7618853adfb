import 'fake-indexeddb/auto';
import { unzipSync } from 'fflate';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { type TrainConfig, networkShape } from '../config/trainConfig';
import { CALIBRATION_GAVE_WAY } from '../domain/machineRates';
import { TINY_RUN } from '../train/tinyRun';
import type { ByteSource } from '../data/fashionMnist';
import { parseIdx } from '../data/idx';
import { readSafetensorsModel } from '../train/weightsFile';
import { setUpBackend } from './backend';
import { type WorkerStores, indexedDbStores } from './handlers/stores';
import type { FromWorker, Replies, RequestType, WorkerEvent, WorkerRequest } from './protocol';
import { WorkerRequests } from './requests';
import { type WorkerParts, createRouter } from './router';

const dataDir = new URL('../../public/data/fashion-mnist/', import.meta.url);
const files: ByteSource = async (name) => new Uint8Array(await readFile(new URL(name, dataDir)));

const TINY: TrainConfig = { ...TINY_RUN, seed: 5 };

let databases = 0;

/** A worker in this thread: the real handlers over a fresh IndexedDB, with images "decoded" from raw pixels. */
function testWorker(overrides: Partial<WorkerParts> = {}) {
  const posted: FromWorker[] = [];
  const stores = indexedDbStores(`router-test-${++databases}`);
  const answer = createRouter((message) => posted.push(message), {
    stores,
    setUpBackend,
    dataSource: () => files,
    decode: async (image) => new Uint8Array(await image.arrayBuffer()),
    ...overrides,
  });
  let nextId = 0;
  /** Sends one request and returns its answers, which must be exactly one. */
  async function ask<K extends RequestType>(request: Extract<WorkerRequest, { type: K }>) {
    const id = ++nextId;
    const pending = answer({ ...request, id });
    await pending;
    const answers = posted.filter((m) => (m.type === 'result' || m.type === 'error') && m.id === id);
    expect(answers).toHaveLength(1);
    return answers[0] as Extract<FromWorker, { type: 'result' | 'error' }>;
  }
  async function value<K extends RequestType>(request: Extract<WorkerRequest, { type: K }>): Promise<Replies[K]> {
    const reply = await ask(request);
    if (reply.type === 'error') throw new Error(reply.message);
    expect(reply.reply.type).toBe(request.type);
    return reply.reply.value as Replies[K];
  }
  const events = () => posted.filter((m): m is WorkerEvent => m.type !== 'result' && m.type !== 'error');
  return { answer, ask, value, events, posted, stores };
}

async function readyWorker(overrides: Partial<WorkerParts> = {}) {
  const worker = testWorker(overrides);
  await worker.value({ type: 'init', backend: 'cpu' });
  await worker.value({ type: 'load-data', dataBaseUrl: 'unused' });
  return worker;
}

/** One test image as the network takes it: 28 × 28 grey pixels. */
async function testImage(): Promise<Blob> {
  const bytes = await files('t10k-images-idx3-ubyte.gz', () => {});
  return new Blob([bytes.slice(0, 28 * 28)]);
}

describe('the worker router', () => {
  it('a request without a ready backend gets an error, not silence', async () => {
    const { ask } = testWorker();
    const run = { runId: 'r', config: TINY };
    for (const request of [
      { type: 'summarize', config: networkShape(TINY) },
      { type: 'load-data', dataBaseUrl: 'unused' },
      { type: 'start', ...run },
      { type: 'predict', source: { kind: 'run', runId: 'r', config: TINY }, image: new Blob([]) },
      { type: 'evaluate-model', modelId: 'm' },
    ] as const) {
      const reply = await ask(request);
      expect(reply).toMatchObject({ type: 'error', message: expect.stringContaining('The worker is not ready') });
    }
  });

  it('answers a backend that cannot start with the reason', async () => {
    const reply = await testWorker().ask({ type: 'init', backend: 'webgpu' });
    expect(reply).toMatchObject({ type: 'error', message: expect.stringContaining('The webgpu backend failed to initialise') });
  });

  it('every failing handler still answers: a missing run, model or dataset, a file that is not a model', async () => {
    const { ask } = await readyWorker();
    // All but the runs at once: a run holds the worker until it has answered.
    const errors = await Promise.all([
      ask({ type: 'save-model', runId: 'none', name: 'n', config: TINY, shape: { classes: ['a'], side: 28, channels: 1 }, datasetName: 'x' }),
      ask({ type: 'export-model', modelId: 'none', format: 'tfjs' }),
      ask({ type: 'import-model', files: [new File(['not json'], 'model.json'), new File([], 'model.weights.bin')] }),
      ask({ type: 'import-model', files: [new File(['{}'], 'notes.txt')] }),
      ask({ type: 'start', runId: 'r', config: TINY, datasetId: 'none' }),
    ]);
    errors.push(await ask({ type: 'start', runId: 'r2', config: TINY, resume: { epochsRecorded: 1 } }));
    expect(errors.map((e) => e.type === 'error' && e.message)).toEqual([
      'This run kept no weights to save.',
      'This saved model is no longer stored (was it removed?).',
      expect.stringContaining('not JSON'),
      expect.stringContaining('Choose one model: a .zip downloaded from here, a .safetensors file'),
      'This imported dataset is no longer stored (was it removed?).',
      'This run has no saved checkpoint, so it cannot be resumed.',
    ]);
  });

  it('trains, pauses and resumes a run (re-sending the epoch the page missed), predicts with it, saves, exports and imports it', async () => {
    const worker = await readyWorker();
    const { value, events } = worker;
    const summary = await value({ type: 'summarize', config: networkShape(TINY) });
    expect(summary.totalParams).toBeGreaterThan(0);

    const paused = await value({ type: 'start', runId: 'run-1', config: TINY, untilEpoch: 1 });
    expect(paused).toMatchObject({ outcome: 'paused', transferCheck: null });
    const epochsOf = () => events().flatMap((e) => (e.type === 'epoch' ? [e.report.epoch] : []));
    expect(epochsOf()).toEqual([1]);
    // The page recorded no epoch (it missed the one report): the checkpoint's report is sent again before epoch 2.
    const resumed = await value({ type: 'start', runId: 'run-1', config: TINY, resume: { epochsRecorded: 0 } });
    expect(resumed.outcome).toBe('completed');
    expect(epochsOf()).toEqual([1, 1, 2]);
    expect(resumed.memory.numTensors).toBe(paused.memory.numTensors);

    const image = await testImage();
    const prediction = await value({ type: 'predict', source: { kind: 'run', runId: 'run-1', config: TINY }, image });
    expect(prediction).toMatchObject({ epoch: 2, side: 28, channels: 1 });
    expect(prediction.top).toHaveLength(3);

    const saved = await value({ type: 'save-model', runId: 'run-1', name: 'tiny', config: TINY, shape: { classes: prediction.classes, side: 28, channels: 1 }, datasetName: 'Fashion-MNIST' });
    expect(saved).toMatchObject({ name: 'tiny', fromRunId: 'run-1', epoch: 2 });
    for (const format of ['tfjs', 'safetensors'] as const) {
      const file = await value({ type: 'export-model', modelId: saved.id, format });
      expect(file.fileName).toBe(format === 'tfjs' ? 'tiny.zip' : 'tiny.safetensors');
      const imported = await value({ type: 'import-model', files: [new File([file.bytes as Uint8Array<ArrayBuffer>], file.fileName)] });
      expect(imported).toMatchObject({ name: 'tiny', fromRunId: null, epoch: 2 });
      expect(imported.id).not.toBe(saved.id);
      const fromModel = await value({ type: 'predict', source: { kind: 'model', modelId: imported.id }, image });
      expect(fromModel.top).toEqual(prediction.top);
    }

    const evaluation = await value({ type: 'evaluate-model', modelId: saved.id });
    const counted = evaluation.confusion.flat().reduce((sum, n) => sum + n, 0);
    expect(counted).toBe(TINY.testSubset);
    expect(evaluation).toMatchObject({ epoch: 2, classes: prediction.classes });
    const correct = evaluation.confusion.reduce((sum, row, i) => sum + row[i]!, 0);
    expect(evaluation.accuracy).toBeCloseTo(correct / counted, 10);

    const shape = { classes: prediction.classes, side: 28, channels: 1 };
    const experiment = await value({
      type: 'export-experiment',
      experiment: { runId: 'run-1', name: 'tiny run', config: TINY, shape, datasetName: 'Fashion-MNIST' },
    });
    const archive = unzipSync(experiment.bytes);
    expect(experiment.fileName).toBe('tiny-run.zip');
    expect(Object.keys(archive).sort()).toEqual(
      ['README.md', 'browser-weights.safetensors', 'config.json', 'requirements.txt', 'train.py',
        'data/t10k-images-idx3-ubyte.gz', 'data/t10k-labels-idx1-ubyte.gz', 'data/train-images-idx3-ubyte.gz', 'data/train-labels-idx1-ubyte.gz',
      ].map((name) => `tiny-run/${name}`).sort(),
    );
    const weights = readSafetensorsModel(archive['tiny-run/browser-weights.safetensors']!);
    expect(weights.metadata).toMatchObject({ name: 'tiny run', epoch: 2, config: TINY });
  });

  it('stops the run it is asked to, refuses a second run meanwhile, and fine-tunes with the frozen stages unchanged', async () => {
    const worker = await readyWorker();
    const { value, ask, answer, events } = worker;
    await value({ type: 'start', runId: 'source', config: { ...TINY, epochs: 1 } });
    const model = await value({ type: 'save-model', runId: 'source', name: 'src', config: TINY, shape: { classes: [...'0123456789'], side: 28, channels: 1 }, datasetName: 'Fashion-MNIST' });

    const long = answer({ id: 100, type: 'start', runId: 'long', config: { ...TINY, epochs: 50 }, transfer: { modelId: model.id, freezeThrough: 'b2', inputChannels: 1 } });
    await expect.poll(() => events().some((e) => e.type === 'batch' && e.runId === 'long'), { timeout: 60_000 }).toBe(true);
    expect(await ask({ type: 'start', runId: 'other', config: TINY })).toMatchObject({ type: 'error', message: 'Another run is still in progress in this worker.' });
    expect(await value({ type: 'stop', runId: 'other' })).toEqual({ stopping: false });
    expect(await value({ type: 'stop', runId: 'long' })).toEqual({ stopping: true });
    await long;
    const answered = worker.posted.filter((m) => (m.type === 'result' || m.type === 'error') && m.id === 100);
    expect(answered).toHaveLength(1);
    expect(answered[0]).toMatchObject({ type: 'result', reply: { type: 'start', value: { outcome: 'stopped', transferCheck: null } } });

    const tuned = await value({ type: 'start', runId: 'tuned', config: { ...TINY, epochs: 1 }, transfer: { modelId: model.id, freezeThrough: 'b2', inputChannels: 1 } });
    expect(tuned.transferCheck).not.toBeNull();
    expect(tuned.transferCheck!.frozenMaxChange).toBe(0);
    expect(tuned.transferCheck!.trainedMaxChange).toBeGreaterThan(0);
  });

  it('a calibration waits until the worker is left alone, goes on beside light requests, and gives way to a run', async () => {
    const quietMs = 400;
    const worker = await readyWorker({ calibrationQuietMs: quietMs });
    const { answer, value, posted } = worker;
    const answerOf = (id: number) => posted.find((m) => (m.type === 'result' || m.type === 'error') && m.id === id);
    const calibrating = answer({ id: 200, type: 'calibrate' });
    // Sent before the quiet period is over: the calibration has not begun, so this run does not stop it.
    const first = await value({ type: 'start', runId: 'first', config: { ...TINY, epochs: 1 } });
    expect(first.outcome).toBe('completed');
    expect(answerOf(200)).toBeUndefined();
    // Past the quiet period the calibration is stepping; a summary is answered beside it.
    await new Promise((resolve) => setTimeout(resolve, quietMs + 1_000));
    expect((await value({ type: 'summarize', config: networkShape(TINY) })).totalParams).toBeGreaterThan(0);
    expect(answerOf(200)).toBeUndefined();
    const second = answer({ id: 201, type: 'start', runId: 'second', config: { ...TINY, epochs: 1 } });
    await calibrating;
    expect(answerOf(200)).toMatchObject({ type: 'error', message: CALIBRATION_GAVE_WAY });
    await second;
    expect(answerOf(201)).toMatchObject({ type: 'result', reply: { type: 'start', value: { outcome: 'completed' } } });
    // The calibration let go of the device before the run's first step.
    const firstEventOfSecond = posted.findIndex((m) => m.type !== 'result' && m.type !== 'error' && 'runId' in m && m.runId === 'second');
    expect(posted.indexOf(answerOf(200)!)).toBeLessThan(firstEventOfSecond);
  }, 120_000);

  it('trains on an imported dataset read back from IndexedDB, and predicts with its classes', async () => {
    const worker = await readyWorker();
    const side = 16;
    const images = (count: number) => ({
      count,
      images: Uint8Array.from({ length: count * side * side }, (_, i) => (i * 37) % 256),
      labels: Uint8Array.from({ length: count }, (_, i) => i % 3),
    });
    const info = {
      id: 'shapes',
      name: 'shapes',
      classes: ['circle', 'square', 'stripes'],
      side,
      channels: 1,
      trainCounts: [8, 8, 8],
      valCounts: [2, 2, 2],
      splitMade: false,
      skipped: [],
      thumbnails: [],
      createdAt: 0,
    };
    await (await worker.stores.datasets()).save(info, { train: images(24), test: images(6) });
    const config = { ...TINY, epochs: 1, trainSubset: 24, testSubset: 6 };
    expect(await worker.value({ type: 'start', runId: 'on-shapes', config, datasetId: 'shapes' })).toMatchObject({ outcome: 'completed' });
    const image = new Blob([images(1).images]);
    const prediction = await worker.value({ type: 'predict', source: { kind: 'run', runId: 'on-shapes', config, datasetId: 'shapes' }, image });
    expect(prediction).toMatchObject({ classes: info.classes, side, channels: 1, epoch: 1 });

    const shapesModel = await worker.value({ type: 'save-model', runId: 'on-shapes', name: 'shapes model', config, shape: { classes: info.classes, side, channels: 1 }, datasetName: 'shapes' });
    expect(await worker.value({ type: 'evaluate-model', modelId: shapesModel.id, datasetId: 'shapes' })).toMatchObject({ epoch: 1, classes: info.classes });
    expect(await worker.ask({ type: 'evaluate-model', modelId: shapesModel.id })).toMatchObject({
      type: 'error',
      message: 'This model knows the classes circle, square, stripes; the dataset to evaluate it on has T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot.',
    });

    const shape = { classes: info.classes, side, channels: 1 };
    // From the settings form: no run, so no weights; the imported images go in as IDX.
    const experiment = { name: 'shapes', config, shape, datasetName: 'shapes', datasetId: 'shapes' };
    const archive = unzipSync((await worker.value({ type: 'export-experiment', experiment })).bytes);
    expect(Object.keys(archive).some((path) => path.endsWith('.safetensors'))).toBe(false);
    const trainImages = parseIdx(archive['shapes/data/train-images-idx3-ubyte']!, 'train images', 3);
    expect(trainImages.dims).toEqual([24, side, side]);
    expect([...trainImages.data]).toEqual([...images(24).images]);
    expect([...parseIdx(archive['shapes/data/test-labels-idx1-ubyte']!, 'test labels', 1).data]).toEqual([...images(6).labels]);
    expect(JSON.parse(new TextDecoder().decode(archive['shapes/config.json']!)).dataset).toMatchObject({ name: 'shapes', classes: info.classes, side });
  });

  it('a model fine-tuned from an RGB source keeps its three input channels when saved, exported and used', async () => {
    const worker = await readyWorker();
    const side = 16;
    const rgb = (count: number) => ({
      count,
      images: Uint8Array.from({ length: count * side * side * 3 }, (_, i) => (i * 53) % 256),
      labels: Uint8Array.from({ length: count }, (_, i) => i % 2),
    });
    const info = { id: 'rgb', name: 'rgb', classes: ['red', 'blue'], side, channels: 3, trainCounts: [8, 8], valCounts: [2, 2], splitMade: false, skipped: [], thumbnails: [], createdAt: 0 };
    await (await worker.stores.datasets()).save(info, { train: rgb(16), test: rgb(4) });
    const config = { ...TINY, epochs: 1, trainSubset: 16, testSubset: 4 };
    await worker.value({ type: 'start', runId: 'on-rgb', config, datasetId: 'rgb' });
    const source = await worker.value({ type: 'save-model', runId: 'on-rgb', name: 'rgb model', config, shape: { classes: info.classes, side, channels: 3 }, datasetName: 'rgb' });

    await worker.value({ type: 'start', runId: 'tuned', config: { ...TINY, epochs: 1 }, transfer: { modelId: source.id, freezeThrough: null, inputChannels: 3 } });
    const fashion = { classes: [...'0123456789'], side: 28, channels: 1 };
    const run = { runId: 'tuned', name: 'tuned', config: { ...TINY, epochs: 1 }, shape: fashion, datasetName: 'Fashion-MNIST', inputChannels: 3 };
    const tuned = await worker.value({ type: 'save-model', ...run });
    expect(tuned.channels).toBe(3);
    // The test's decoder passes pixels through: an RGB image, as the browser's decodes one for a 3-channel network.
    const image = new Blob([Uint8Array.from({ length: 28 * 28 * 3 }, (_, i) => i % 256)]);
    const prediction = await worker.value({ type: 'predict', source: { kind: 'model', modelId: tuned.id }, image });
    expect(prediction.top).toHaveLength(3);
    const archive = unzipSync((await worker.value({ type: 'export-experiment', experiment: run })).bytes);
    const weights = readSafetensorsModel(archive['tuned/browser-weights.safetensors']!);
    expect(weights.metadata).toMatchObject({ channels: 3, classes: fashion.classes });
  });

  it('a worker that dies mid-request: the page rejects every request it had sent, and no answer comes late', async () => {
    // Stores that never open: every request that needs one stays pending, as in a worker that is about to crash.
    const never = () => new Promise<never>(() => {});
    const stuck: WorkerStores = { checkpoints: never, datasets: never, models: never };
    const worker = testWorker({ stores: stuck });
    await worker.value({ type: 'init', backend: 'cpu' });
    const requests = new WorkerRequests((message) => void worker.answer(message));
    const pending = [
      requests.request({ type: 'export-model', modelId: 'm', format: 'safetensors' }),
      requests.request({ type: 'save-model', runId: 'r', name: 'n', config: TINY, shape: { classes: ['a'], side: 28, channels: 1 }, datasetName: 'x' }),
      requests.request({ type: 'import-model', files: [new File(['{}'], 'm.json'), new File([], 'm.weights.bin')] }),
    ];
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(requests.openCount).toBe(3);
    requests.close('The training worker crashed (simulated); a fresh worker is starting.');
    const outcomes = await Promise.allSettled(pending);
    expect(outcomes.map((o) => o.status === 'rejected' && (o.reason as Error).message)).toEqual(
      Array(3).fill('The training worker crashed (simulated); a fresh worker is starting.'),
    );
  });
});
