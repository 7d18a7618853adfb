import type { ByteSource } from '../data/fashionMnist';
import type { BackendName } from '../domain/backend';
import type { BackendSetup } from './backend';
import { Datasets } from './handlers/datasets';
import { exportExperiment } from './handlers/experiments';
import { DeviceSlot } from './handlers/device';
import { Models } from './handlers/models';
import { type ImageDecoder, Prediction } from './handlers/prediction';
import { TrainingSession } from './handlers/session';
import { type WorkerStores, openOnce } from './handlers/stores';
import { type FromWorker, type Reply, type ToWorker, type WorkerRequest, assertNever } from './protocol';
import { summarizeNetwork } from './summarizeNetwork';

/** How long the worker must be left alone before a calibration starts, and how often that is checked. */
const CALIBRATION_QUIET_MS = 10_000;
const QUIET_POLL_MS = 250;

/** Requests answered in moments without the device's work: a calibration goes on beside them. */
const LIGHT_REQUESTS: ReadonlySet<WorkerRequest['type']> = new Set(['stop', 'summarize']);

/** What the worker is made of; the entry passes the browser's, a test its own. */
export interface WorkerParts {
  stores: WorkerStores;
  setUpBackend(name: BackendName, onDeviceFailure: (reason: string) => void): Promise<BackendSetup>;
  /** Where Fashion-MNIST's files are read from. */
  dataSource(dataBaseUrl: string): ByteSource;
  decode: ImageDecoder;
  /** CALIBRATION_QUIET_MS unless a test needs a shorter wait. */
  calibrationQuietMs?: number;
}

/**
 * Builds the worker's handlers and returns what answers one request: exactly one 'result' or 'error' under its id,
 * whatever the handler does. Progress and a run's losses and epochs are posted as events meanwhile.
 */
export function createRouter(post: (message: FromWorker) => void, parts: WorkerParts): (message: ToWorker) => Promise<void> {
  const checkpoints = openOnce(parts.stores.checkpoints);
  const device = new DeviceSlot();
  const datasets = new Datasets(openOnce(parts.stores.datasets));
  const models = new Models(openOnce(parts.stores.models), checkpoints);
  const prediction = new Prediction(datasets, models, checkpoints, parts.decode);
  const session = new TrainingSession(datasets, models, checkpoints);

  async function init(backend: BackendName): Promise<Reply> {
    const setup = await parts.setUpBackend(backend, (reason) => {
      session.abort();
      post({ type: 'device-failed', reason });
    });
    if (!setup.ok) throw new Error(setup.reason);
    device.set({ fence: setup.fence, maxBufferBytes: setup.maxBufferBytes });
    return { type: 'init', value: { adapter: setup.adapter } };
  }

  async function reply(request: WorkerRequest): Promise<Reply> {
    switch (request.type) {
      case 'init':
        return init(request.backend);
      case 'load-data': {
        device.ready();
        const onProgress = (loadedBytes: number, totalBytes: number | null) => post({ type: 'data-progress', loadedBytes, totalBytes });
        return { type: 'load-data', value: await datasets.loadFashionMnist(parts.dataSource(request.dataBaseUrl), onProgress) };
      }
      case 'start': {
        const { type: _, ...run } = request;
        return { type: 'start', value: await session.train(run, device.ready(), post) };
      }
      case 'stop':
        return { type: 'stop', value: { stopping: session.stop(request.runId) } };
      case 'summarize':
        device.ready();
        return { type: 'summarize', value: summarizeNetwork(request.config) };
      case 'predict':
        device.ready();
        return { type: 'predict', value: await prediction.predict(request.source, request.image) };
      case 'save-model':
        return { type: 'save-model', value: await models.saveFromRun(request) };
      // Reading and writing weights builds the network in tfjs, which must be the backend the page chose.
      case 'export-model':
        device.ready();
        return { type: 'export-model', value: await models.export(request.modelId, request.format) };
      case 'import-model':
        device.ready();
        return { type: 'import-model', value: await models.import(request.files) };
      case 'evaluate-model':
        device.ready();
        return { type: 'evaluate-model', value: await prediction.evaluate(request.modelId, request.datasetId) };
      case 'export-experiment':
        device.ready();
        return { type: 'export-experiment', value: await exportExperiment(request.experiment, models, datasets) };
      case 'import-dataset': {
        const onProgress = (decoded: number, total: number) => post({ type: 'dataset-progress', decoded, total });
        return { type: 'import-dataset', value: await datasets.import(request.name, request.source, onProgress, device.maxBufferBytes) };
      }
      case 'calibrate':
        return { type: 'calibrate', value: await session.calibrate(device.ready()) };
      default:
        return assertNever(request);
    }
  }

  // Requests that use the device: a calibration stops for any of them, and starts only once they have let the
  // worker alone for a while, since a step it has begun (on a software adapter, seconds) cannot be cut short.
  const quietMs = parts.calibrationQuietMs ?? CALIBRATION_QUIET_MS;
  let othersInFlight = 0;
  let lastOther = performance.now();
  async function whenQuiet(): Promise<void> {
    while (othersInFlight > 0 || performance.now() - lastOther < quietMs) {
      await new Promise((resolve) => setTimeout(resolve, QUIET_POLL_MS));
    }
  }
  return async (message) => {
    const { id } = message;
    const calibrating = message.type === 'calibrate';
    const usesDevice = !calibrating && !LIGHT_REQUESTS.has(message.type);
    if (usesDevice) othersInFlight++;
    try {
      if (calibrating) await whenQuiet();
      if (usesDevice) await session.stopCalibrating();
      post({ type: 'result', id, reply: await reply(message) });
    } catch (error) {
      post({ type: 'error', id, message: error instanceof Error ? error.message : String(error) });
    } finally {
      if (usesDevice) {
        othersInFlight--;
        lastOther = performance.now();
      }
    }
  };
}
