import type { ImageDataset } from '../data/dataset';
import { FASHION_MNIST_NAME, fetchSource, loadFashionMnist } from '../data/fashionMnist';
import { CheckpointStore, DatasetStore, ModelStore } from '../experiments/database';
import { uniqueId } from '../experiments/ids';
import { readConfig } from '../experiments/runStore';
import { exportModelFiles, networkOf, readModelFiles } from '../train/modelFile';
import { buildRunNetwork, loadLayerWeights } from '../model/googlenet';
import type * as tf from '@tensorflow/tfjs';
import { type DeviceFence, LIVE_LOSS_INTERVAL_MS, runTraining } from '../train/engine';
import { measureTransfer } from '../train/transfer';
import { memoryUse, setUpBackend } from './backend';
import { Predictor } from '../train/predict';
import { decodeImage } from './decodeImage';
import { importDataset } from './importDataset';
import { summarizeNetwork } from './summarizeNetwork';
import { type FromWorker, type PredictSource, type ToWorker, assertNever } from './protocol';
import type { DatasetShape } from '../domain/dataset';
import type { SavedModelInfo } from '../domain/savedModel';
import type { Checkpoint } from '../domain/training';

/** The dedicated-worker global, typed without pulling the WebWorker lib into a DOM program. */
interface WorkerScope {
  postMessage(message: FromWorker): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;
const post = (message: FromWorker) => scope.postMessage(message);

let device: { fence: DeviceFence; maxBufferBytes?: number } | null = null;
let data: ImageDataset | null = null;
let activeRun: { runId: string; controller: AbortController } | null = null;

async function init(message: Extract<ToWorker, { type: 'init' }>): Promise<void> {
  const setup = await setUpBackend(message.backend, (reason) => {
    activeRun?.controller.abort();
    post({ type: 'device-lost', reason });
  });
  if (!setup.ok) {
    post({ type: 'backend-failed', backend: message.backend, reason: setup.reason });
    return;
  }
  device = { fence: setup.fence, maxBufferBytes: setup.maxBufferBytes };
  post({ type: 'backend-ready', backend: message.backend, adapter: setup.adapter });
  try {
    data = await loadFashionMnist(fetchSource(message.dataBaseUrl), (loadedBytes, totalBytes) =>
      post({ type: 'data-progress', loadedBytes, totalBytes }),
    );
    post({ type: 'data-ready', trainCount: data.train.count, testCount: data.test.count });
  } catch (error) {
    post({ type: 'data-failed', message: (error as Error).message });
  }
}

let checkpoints: Promise<CheckpointStore> | null = null;
const checkpointStore = () => (checkpoints ??= CheckpointStore.open());
let datasets: Promise<DatasetStore> | null = null;
const datasetStore = () => (datasets ??= DatasetStore.open());

/** The last imported dataset a run or a prediction used, kept while the next one asks for the same. */
let imported: { id: string; dataset: ImageDataset } | null = null;

/** Fashion-MNIST, or an imported dataset read back from IndexedDB. */
async function datasetFor(datasetId: string | undefined): Promise<ImageDataset> {
  if (datasetId === undefined) {
    if (data === null) throw new Error('The worker is not ready: the backend or the data failed to load.');
    return data;
  }
  if (imported?.id === datasetId) return imported.dataset;
  const dataset = await (await datasetStore()).load(datasetId);
  if (dataset === undefined) throw new Error('This imported dataset is no longer stored (was it removed?).');
  imported = { id: datasetId, dataset };
  return dataset;
}

async function importFolder(message: Extract<ToWorker, { type: 'import-dataset' }>): Promise<void> {
  try {
    const result = await importDataset(
      message.name,
      message.source,
      (decoded, total) => post({ type: 'dataset-progress', decoded, total }),
      device?.maxBufferBytes,
    );
    await (await datasetStore()).save(result.info, { train: result.train, test: result.test });
    post({ type: 'dataset-imported', info: result.info });
  } catch (error) {
    post({ type: 'dataset-import-failed', message: (error as Error).message });
  }
}

async function loadCheckpoint(runId: string, epochsRecorded: number): Promise<Checkpoint> {
  const checkpoint = await (await checkpointStore()).load(runId);
  if (checkpoint === undefined) throw new Error('This run has no saved checkpoint, so it cannot be resumed.');
  // The checkpoint is written before its epoch is reported: the page may have missed that one report, never more.
  if (checkpoint.epoch === epochsRecorded + 1) post({ type: 'epoch', runId, report: checkpoint.report });
  else if (checkpoint.epoch !== epochsRecorded) {
    throw new Error(`The checkpoint is of epoch ${checkpoint.epoch}, but the history has ${epochsRecorded} epochs.`);
  }
  return checkpoint;
}

async function start(message: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  const { runId, config } = message;
  if (device === null) {
    post({ type: 'run-failed', runId, message: 'The worker is not ready: the backend failed to start.' });
    return;
  }
  if (activeRun !== null) {
    post({ type: 'run-failed', runId, message: 'Another run is still in progress in this worker.' });
    return;
  }
  const controller = new AbortController();
  activeRun = { runId, controller };
  post({ type: 'run-started', runId });
  let source: tf.LayersModel | undefined;
  try {
    const dataset = await datasetFor(message.datasetId);
    const resume = message.resume ? await loadCheckpoint(runId, message.resume.epochsRecorded) : undefined;
    const store = await checkpointStore();
    const { transfer } = message;
    // A resumed fine-tuning run continues from its own checkpoint: only its freezing still applies.
    const saved = transfer?.modelId !== undefined && resume === undefined ? await savedModel(transfer.modelId) : undefined;
    source = saved && networkOf(saved.info, saved.weights);
    const outcome = await runTraining({
      config,
      data: dataset,
      resume,
      transfer: transfer && { source, freezeThrough: transfer.freezeThrough, inputChannels: transfer.inputChannels },
      untilEpoch: message.untilEpoch,
      onCheckpoint: (checkpoint) => store.save(runId, checkpoint),
      fence: device.fence,
      maxBufferBytes: device.maxBufferBytes,
      signal: controller.signal,
      liveIntervalMs: LIVE_LOSS_INTERVAL_MS,
      callbacks: {
        onWarmup: (seconds) => post({ type: 'warmup', runId, seconds }),
        onBatchLoss: (sample) => post({ type: 'batch', runId, sample }),
        onEpoch: (report) => post({ type: 'epoch', runId, report }),
        onEvaluation: (evaluation) => post({ type: 'evaluation', runId, evaluation }),
      },
    });
    const final = source && (await store.load(runId));
    if (source && final) {
      // Built from the run's seed, the initial network has the new classifier's starting weights.
      const shape = { classCount: dataset.classes.length, channels: transfer!.inputChannels };
      const [initial, tuned] = [buildRunNetwork(config, shape), buildRunNetwork(config, shape)];
      loadLayerWeights(tuned, final.weights, 'The fine-tuned checkpoint does not fit its network.');
      post({ type: 'transfer-check', runId, check: measureTransfer(source, initial, tuned, transfer?.freezeThrough ?? null) });
      initial.dispose();
      tuned.dispose();
    }
    post({ type: 'run-ended', runId, outcome, memory: memoryUse() });
  } catch (error) {
    post({ type: 'run-failed', runId, message: (error as Error).message });
  } finally {
    source?.dispose();
    activeRun = null;
  }
}

/** The last weights predicted with, kept while the page asks about the same run at the same epoch (or model). */
let predictor: { key: string; predictor: Predictor } | null = null;

let models: Promise<ModelStore> | null = null;
const modelStore = () => (models ??= ModelStore.open());

async function savedModel(modelId: string) {
  const saved = await (await modelStore()).load(modelId);
  if (saved === undefined) throw new Error('This saved model is no longer stored (was it removed?).');
  return saved;
}

/** The network, weights and data shape a prediction uses, and how to decode the image for it. */
async function predictorFor(source: PredictSource): Promise<{ model: Predictor; epoch: number; shape: DatasetShape; darkGround: boolean }> {
  if (source.kind === 'model') {
    const { info, weights } = await savedModel(source.modelId);
    const key = `model:${info.id}`;
    if (predictor?.key !== key) {
      predictor?.predictor.dispose();
      predictor = null;
      predictor = { key, predictor: new Predictor(info.config, weights, info) };
    }
    return { model: predictor.predictor, epoch: info.epoch, shape: info, darkGround: info.datasetName === FASHION_MNIST_NAME };
  }
  const dataset = await datasetFor(source.datasetId);
  const checkpoint = await (await checkpointStore()).load(source.runId);
  if (checkpoint === undefined) {
    throw new Error('This run kept no weights (it has no finished epoch, or it finished before weights were kept).');
  }
  const key = `run:${source.runId}:${checkpoint.epoch}`;
  if (predictor?.key !== key) {
    predictor?.predictor.dispose();
    predictor = null;
    predictor = { key, predictor: new Predictor(source.config, checkpoint.weights, dataset, source.inputChannels) };
  }
  // Fashion-MNIST shows bright garments on black; an imported dataset is taken as it comes.
  return { model: predictor.predictor, epoch: checkpoint.epoch, shape: dataset, darkGround: source.datasetId === undefined };
}

async function predict(message: Extract<ToWorker, { type: 'predict' }>): Promise<void> {
  const { requestId } = message;
  try {
    if (device === null) throw new Error('The backend is not ready.');
    const { model, epoch, shape, darkGround } = await predictorFor(message.source);
    const pixels = await decodeImage(message.image, { shape, darkGround });
    const top = await model.predict(pixels);
    const { classes, side, channels } = shape;
    post({ type: 'prediction', requestId, result: { epoch, top, classes, pixels: [...pixels], side, channels } });
  } catch (error) {
    post({ type: 'prediction-failed', requestId, message: (error as Error).message });
  }
}

async function saveModel(message: Extract<ToWorker, { type: 'save-model' }>): Promise<void> {
  try {
    const checkpoint = await (await checkpointStore()).load(message.runId);
    if (checkpoint === undefined) throw new Error('This run kept no weights to save.');
    const { classes, side, channels } = message.shape;
    const info: SavedModelInfo = {
      id: uniqueId('model'),
      name: message.name,
      config: message.config,
      classes: [...classes],
      side,
      channels,
      datasetName: message.datasetName,
      fromRunId: message.runId,
      epoch: checkpoint.epoch,
      createdAt: Date.now(),
    };
    await (await modelStore()).save(info, checkpoint.weights);
    post({ type: 'model-saved', info });
  } catch (error) {
    post({ type: 'model-failed', message: (error as Error).message });
  }
}

async function exportModel(modelId: string): Promise<void> {
  try {
    const { info, weights } = await savedModel(modelId);
    const { id: _id, createdAt: _created, fromRunId: _run, ...metadata } = info;
    post({ type: 'model-exported', files: await exportModelFiles(metadata, weights) });
  } catch (error) {
    post({ type: 'model-failed', message: (error as Error).message });
  }
}

async function importModel(message: Extract<ToWorker, { type: 'import-model' }>): Promise<void> {
  try {
    const { metadata, weights } = readModelFiles(await message.json.text(), await message.weights.arrayBuffer(), readConfig);
    const info: SavedModelInfo = {
      ...metadata,
      id: uniqueId('model'),
      fromRunId: null,
      createdAt: Date.now(),
    };
    await (await modelStore()).save(info, weights);
    post({ type: 'model-saved', info });
  } catch (error) {
    post({ type: 'model-failed', message: (error as Error).message });
  }
}

scope.onmessage = (event) => {
  const message = event.data;
  switch (message.type) {
    case 'init':
      void init(message);
      break;
    case 'start':
      void start(message);
      break;
    case 'stop':
      if (activeRun?.runId === message.runId) activeRun.controller.abort();
      break;
    case 'predict':
      void predict(message);
      break;
    case 'import-dataset':
      void importFolder(message);
      break;
    case 'save-model':
      void saveModel(message);
      break;
    case 'export-model':
      void exportModel(message.modelId);
      break;
    case 'import-model':
      void importModel(message);
      break;
    case 'summarize':
      if (device !== null) post({ type: 'summary', summary: summarizeNetwork(message.config) });
      break;
    default:
      assertNever(message);
  }
};
