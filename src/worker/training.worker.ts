import type { TrainConfig } from '../config/trainConfig';
import type { ImageDataset } from '../data/dataset';
import { fetchSource, loadFashionMnist } from '../data/fashionMnist';
import { CheckpointStore, DatasetStore } from '../experiments/database';
import { type Checkpoint, type DeviceFence, LIVE_LOSS_INTERVAL_MS, runTraining } from '../train/engine';
import { memoryUse, setUpBackend } from './backend';
import { Predictor } from '../train/predict';
import { decodeImage } from './decodeImage';
import { importDataset } from './importDataset';
import { summarizeNetwork } from './summarizeNetwork';
import { type FromWorker, type ToWorker, assertNever } from './protocol';

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
  try {
    const dataset = await datasetFor(message.datasetId);
    const resume = message.resume ? await loadCheckpoint(runId, message.resume.epochsRecorded) : undefined;
    const store = await checkpointStore();
    const outcome = await runTraining({
      config,
      data: dataset,
      resume,
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
    post({ type: 'run-ended', runId, outcome, memory: memoryUse() });
  } catch (error) {
    post({ type: 'run-failed', runId, message: (error as Error).message });
  } finally {
    activeRun = null;
  }
}

/** The last run predicted with, kept while the page asks about the same run at the same epoch. */
let predictor: { runId: string; predictor: Predictor } | null = null;

async function predictorFor(runId: string, config: TrainConfig, dataset: ImageDataset): Promise<Predictor> {
  const checkpoint = await (await checkpointStore()).load(runId);
  if (checkpoint === undefined) {
    throw new Error('This run kept no weights (it has no finished epoch, or it finished before weights were kept).');
  }
  if (predictor?.runId === runId && predictor.predictor.checkpoint.epoch === checkpoint.epoch) return predictor.predictor;
  predictor?.predictor.dispose();
  predictor = null;
  predictor = { runId, predictor: new Predictor(config, checkpoint, dataset) };
  return predictor.predictor;
}

async function predict(message: Extract<ToWorker, { type: 'predict' }>): Promise<void> {
  const { requestId, runId } = message;
  try {
    if (device === null) throw new Error('The backend is not ready.');
    const dataset = await datasetFor(message.datasetId);
    const { classes, side, channels } = dataset;
    // Fashion-MNIST shows bright garments on black; an imported dataset is taken as it comes.
    const darkGround = message.datasetId === undefined;
    const pixels = await decodeImage(message.image, { shape: dataset, darkGround });
    const model = await predictorFor(runId, message.config, dataset);
    const top = await model.predict(pixels);
    const result = { runId, epoch: model.checkpoint.epoch, top, classes, pixels: [...pixels], side, channels };
    post({ type: 'prediction', requestId, result });
  } catch (error) {
    post({ type: 'prediction-failed', requestId, message: (error as Error).message });
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
    case 'summarize':
      if (device !== null) post({ type: 'summary', summary: summarizeNetwork(message.config) });
      break;
    default:
      assertNever(message);
  }
};
