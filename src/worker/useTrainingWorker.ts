import { type Dispatch, useCallback, useEffect, useRef, useState } from 'react';
import type { RunAction } from '../experiments/runHistory';
import type { ImportSource } from './importDataset';
import { FASHION_MNIST_NAME, FASHION_MNIST_SHAPE } from '../data/fashionMnist';
import type { TrainConfig } from '../config/trainConfig';
import type { DownloadFile } from '../domain/file';
import { CALIBRATION_GAVE_WAY, type Calibration } from '../domain/machineRates';
import { refineCalibration } from '../experiments/estimate';
import { type Machine, type MachineRates, machineKey, pageStorage, readMachineRates, writeMachineRates } from '../experiments/machineRates';
import type { Evaluation } from '../domain/training';
import type { RunStart } from '../experiments/runQueue';
import {
  type AdapterDescription,
  type ExperimentExport,
  type FromWorker,
  type ModelFileFormat,
  type ModelFromRun,
  type MemoryUse,
  type NetworkSummary,
  type PredictSource,
  type PredictionResult,
  type StartRun,
  assertNever,
} from './protocol';
import { WorkerRequests } from './requests';
import {
  type BackendState,
  type DataState,
  type DatasetImportState,
  type SummaryState,
  routeMessage,
  withDataProgress,
} from './workerMessages';
import { newRunId } from '../experiments/runHistory';
import { claimRun } from '../experiments/runLock';
import type { BackendName } from '../domain/backend';
import { type DatasetRef, datasetShape } from '../domain/dataset';
import type { RunRecord } from '../domain/run';
import type { SavedModelInfo } from '../domain/savedModel';

/** This backend's calibration: measured in the worker once it is idle, or found in this browser's cache. */
export type CalibrationState =
  | { status: 'waiting' }
  | { status: 'measuring' }
  | { status: 'ready'; calibration: Calibration }
  | { status: 'failed'; message: string };

export interface TrainingWorker {
  backend: BackendState;
  calibration: CalibrationState;
  /** Every backend and adapter this browser has calibrated, by machineKey. */
  machineRates: Record<string, MachineRates>;
  data: DataState;
  activeRunId: string | null;
  /** What the worker held after the last run ended; the same after every run, or something leaks. */
  memoryAfterRun: MemoryUse | null;
  summary: SummaryState;
  summarize(config: NetworkSummary['config']): void;
  /** Starts a new run: on Fashion-MNIST unless a dataset is given, fine-tuned when it names where it started from. */
  start(run: RunStart): void;
  resume(run: RunRecord, untilEpoch?: number): Promise<TrainingBegun>;
  stop(): void;
  /** Top classes for one image from a run's latest kept weights or a saved model; rejects with a message. */
  predict(source: PredictSource, image: Blob): Promise<PredictionResult>;
  saveModel(run: RunRecord, name: string): Promise<SavedModelInfo>;
  /** The saved model as one file for the page to download: a tfjs zip, or safetensors under PyTorch's names. */
  exportModel(modelId: string, format: ModelFileFormat): Promise<DownloadFile>;
  /** A tfjs zip, a .safetensors file, or a model.json with its .weights.bin. */
  importModel(files: File[]): Promise<SavedModelInfo>;
  /** A saved model's confusion matrix on the test split of Fashion-MNIST or of the imported dataset given. */
  evaluateModel(modelId: string, datasetId: string | undefined): Promise<Evaluation>;
  /**
   * Settings as a PyTorch experiment (train.py, config.json, the data, a run's latest weights when it names a run
   * that kept some), as one zip.
   */
  exportExperiment(source: ExperimentSource): Promise<DownloadFile>;
  switchBackend(backend: BackendName): void;
  datasetImport: DatasetImportState;
  /** Decodes and stores an image folder or zip in the worker; progress and the outcome arrive in datasetImport. */
  importDataset(name: string, source: ImportSource): void;
}

/**
 * Whether a run went to the worker: 'busy' while the backend, the data or another run keeps the worker, and
 * 'held-elsewhere' when another tab holds the run's lock (trains it).
 */
export type TrainingBegun = 'started' | 'busy' | 'held-elsewhere';

/** What the page exports as a PyTorch experiment: a run (its weights go too) or the settings in the form. */
export interface ExperimentSource {
  name: string;
  config: TrainConfig;
  dataset: DatasetRef | null;
  runId?: string;
  /** A fine-tuned run's network input channels (its source's). */
  inputChannels?: number;
}

const DATA_BASE_URL = `${import.meta.env.BASE_URL}data/fashion-mnist`;

/** A run's latest weights, described as a model saved from them would be. */
function modelFromRun(run: RunRecord, name: string): ModelFromRun {
  return {
    runId: run.id,
    name,
    config: run.config,
    shape: run.dataset ? datasetShape(run.dataset) : FASHION_MNIST_SHAPE,
    datasetName: run.dataset?.name ?? FASHION_MNIST_NAME,
    ...(run.startedFrom ? { inputChannels: run.startedFrom.inputChannels } : {}),
  };
}

/** The adapter as one line of the run's record. */
function adapterLabel(adapter: AdapterDescription | null): string | null {
  if (adapter === null) return null;
  return [adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' · ');
}

/** The machine a ready backend runs on, as the calibrations are keyed. */
const machineOf = (backend: Extract<BackendState, { status: 'ready' }>): Machine => ({
  backend: backend.backend,
  adapter: adapterLabel(backend.adapter) ?? '',
});

/** The worker's request for a run as its record describes it: a fresh one, or one continued after its epochs. */
function startRequest(
  run: Pick<RunRecord, 'id' | 'config' | 'dataset' | 'startedFrom'>,
  untilEpoch: number | undefined,
  epochsRecorded?: number,
): StartRun {
  const { startedFrom } = run;
  return {
    runId: run.id,
    config: run.config,
    resume: epochsRecorded === undefined ? undefined : { epochsRecorded },
    untilEpoch,
    datasetId: run.dataset?.id,
    transfer: startedFrom
      ? { modelId: startedFrom.modelId, freezeThrough: startedFrom.freezeThrough, inputChannels: startedFrom.inputChannels }
      : undefined,
  };
}

const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Owns the training worker: one per backend choice, replaced after a crash or a failed run. */
export function useTrainingWorker(dispatch: Dispatch<RunAction>, initialBackend: BackendName = 'webgpu'): TrainingWorker {
  const [backendName, setBackendName] = useState<BackendName>(initialBackend);
  const [generation, setGeneration] = useState(0);
  const [backend, setBackend] = useState<BackendState>({ status: 'starting', backend: initialBackend });
  const [data, setData] = useState<DataState>({ status: 'waiting' });
  const [activeRunId, setActiveRunId] = useState<string | null>(null);
  const [memoryAfterRun, setMemoryAfterRun] = useState<MemoryUse | null>(null);
  const [summary, setSummary] = useState<SummaryState>({ status: 'none' });
  const [datasetImport, setDatasetImport] = useState<DatasetImportState>({ status: 'idle' });
  const [machineRates, setMachineRates] = useState(() => readMachineRates(pageStorage()));
  /** This worker's calibration request: none yet, in flight, or failed for a reason a retry would not change. */
  const [measuring, setMeasuring] = useState<{ status: 'idle' | 'measuring' } | { status: 'failed'; message: string }>({ status: 'idle' });
  const requestsRef = useRef<WorkerRequests | null>(null);
  const activeRunRef = useRef<string | null>(null);
  const backendRef = useRef<BackendState>(backend);
  backendRef.current = backend;

  const endRun = useCallback(() => {
    activeRunRef.current = null;
    setActiveRunId(null);
  }, []);
  const replaceWorker = useCallback(() => setGeneration((g) => g + 1), []);
  const storeRates = useCallback((rates: MachineRates) => setMachineRates(writeMachineRates(pageStorage(), rates)), []);

  useEffect(() => {
    const worker = new Worker(new URL('./training.worker.ts', import.meta.url), { type: 'module' });
    const requests = new WorkerRequests((message) => worker.postMessage(message));
    requestsRef.current = requests;
    /** Answers that come after this worker was replaced describe a worker the page no longer shows. */
    const whileCurrent =
      <T,>(handle: (value: T) => void) =>
      (value: T) => {
        if (!requests.closed) handle(value);
      };
    setBackend({ status: 'starting', backend: backendName });
    setData({ status: 'waiting' });
    setMeasuring({ status: 'idle' });

    worker.onmessage = (event: MessageEvent<FromWorker>) => {
      for (const change of routeMessage(event.data, activeRunRef.current)) {
        switch (change.target) {
          case 'requests':
            requests.answer(change.answer);
            break;
          case 'runs':
            dispatch(change.action);
            break;
          case 'data':
            setData((current) => withDataProgress(current, change.progress));
            break;
          case 'dataset-import':
            setDatasetImport(change.state);
            break;
          case 'rates': {
            const state = backendRef.current;
            const stored = state.status === 'ready' ? readMachineRates(pageStorage())[machineKey(machineOf(state))] : undefined;
            if (stored) storeRates({ ...stored, calibration: refineCalibration(stored.calibration, change.sample) });
            break;
          }
          case 'replace-worker':
            endRun();
            replaceWorker();
            break;
          default:
            assertNever(change);
        }
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      // Every open request, the active run's included, gets this answer: the dead worker would never send one.
      requests.close(`The training worker crashed (${event.message || 'unknown error'}); a fresh worker is starting.`);
      replaceWorker();
    };
    requests.request({ type: 'init', backend: backendName }).then(
      whileCurrent(({ adapter }) => {
        setBackend({ status: 'ready', backend: backendName, adapter });
        setData({ status: 'loading', loadedBytes: 0, totalBytes: null });
        requests.request({ type: 'load-data', dataBaseUrl: DATA_BASE_URL }).then(
          whileCurrent(({ trainCount, testCount }) => setData({ status: 'ready', trainCount, testCount })),
          whileCurrent((error) => setData({ status: 'failed', message: errorMessage(error) })),
        );
      }),
      whileCurrent((error) => setBackend({ status: 'failed', backend: backendName, reason: errorMessage(error) })),
    );
    return () => {
      requests.close('The worker restarted; try again.');
      worker.terminate();
      requestsRef.current = null;
    };
  }, [backendName, generation, dispatch, endRun, replaceWorker, storeRates]);

  const machine = backend.status === 'ready' ? machineOf(backend) : null;
  const stored = machine === null ? undefined : machineRates[machineKey(machine)];
  const needsCalibration = machine !== null && stored === undefined && data.status === 'ready' && activeRunId === null;
  useEffect(() => {
    const requests = requestsRef.current;
    if (!needsCalibration || measuring.status !== 'idle' || requests === null || backendRef.current.status !== 'ready') return;
    const measured = machineOf(backendRef.current);
    setMeasuring({ status: 'measuring' });
    requests.request({ type: 'calibrate' }).then(
      (calibration) => {
        storeRates({ ...measured, calibration });
        setMeasuring({ status: 'idle' });
      },
      (error) => {
        if (requests.closed) return;
        // Other work stopped it: measure again (the worker waits until it is left alone; a run first ends).
        const gaveWay = errorMessage(error) === CALIBRATION_GAVE_WAY || activeRunRef.current !== null;
        setMeasuring(gaveWay ? { status: 'idle' } : { status: 'failed', message: errorMessage(error) });
      },
    );
  }, [needsCalibration, measuring.status, storeRates]);
  const calibration: CalibrationState =
    stored !== undefined
      ? { status: 'ready', calibration: stored.calibration }
      : measuring.status === 'failed'
        ? measuring
        : measuring.status === 'measuring'
          ? { status: 'measuring' }
          : { status: 'waiting' };

  /**
   * Sends a run to the worker while this tab holds the run's lock, from `begin` (which records the run as training)
   * to the request's one answer, which ends the run or fails it and brings a fresh worker.
   */
  const train = useCallback(
    async (request: StartRun, begin: () => void): Promise<TrainingBegun> => {
      const requests = requestsRef.current;
      if (requests === null) return 'busy';
      const { runId } = request;
      // The worker is taken before the lock is asked for, so that nothing else starts while the answer is awaited.
      activeRunRef.current = runId;
      setActiveRunId(runId);
      const release = await claimRun(runId).catch((error: unknown) => {
        endRun();
        throw error;
      });
      if (release === null) {
        endRun();
        return 'held-elsewhere';
      }
      begin();
      // A run the page has already failed (its GPU device failed) keeps that end, whatever the worker says after.
      const stillActive = () => activeRunRef.current === runId;
      // Released before the run ends here, so that this tab never sees its own lock as another tab's.
      requests.request({ type: 'start', ...request }).then(
        ({ outcome, memory, transferCheck }) => {
          release();
          if (!stillActive()) return;
          if (transferCheck !== null) dispatch({ type: 'transfer-check', runId, check: transferCheck });
          dispatch({ type: 'ended', runId, outcome });
          setMemoryAfterRun(memory);
          endRun();
        },
        (error) => {
          release();
          if (!stillActive()) return;
          dispatch({ type: 'failed', runId, message: errorMessage(error) });
          endRun();
          // A failed step can leave tensors and device state behind; a fresh worker starts clean. A crashed one is
          // being replaced already.
          if (!requests.closed) replaceWorker();
        },
      );
      return 'started';
    },
    [dispatch, endRun, replaceWorker],
  );

  const canStart = () => requestsRef.current !== null && backendRef.current.status === 'ready' && activeRunRef.current === null;

  const start = useCallback(
    ({ config, dataset = null, startedFrom = null, runId = newRunId(), group, untilEpoch }: RunStart) => {
      const state = backendRef.current;
      if (!canStart() || state.status !== 'ready') return;
      const run = { id: runId, config, dataset, startedFrom };
      const created = { ...run, backend: state.backend, adapter: adapterLabel(state.adapter), startedAt: Date.now(), group: group ?? null };
      // A new run's id is this tab's own, so its lock is free.
      void train(startRequest(run, untilEpoch), () => dispatch({ type: 'created', run: created }));
    },
    [dispatch, train],
  );

  const resume = useCallback(
    (run: RunRecord, untilEpoch?: number): Promise<TrainingBegun> => {
      if (!canStart()) return Promise.resolve('busy');
      return train(startRequest(run, untilEpoch, run.epochs.length), () => dispatch({ type: 'resumed', runId: run.id }));
    },
    [dispatch, train],
  );

  const stop = useCallback(() => {
    const runId = activeRunRef.current;
    // The run's own request answers once it has stopped; this one only says whether the worker was running it.
    if (runId !== null) requestsRef.current?.request({ type: 'stop', runId }).catch(() => {});
  }, []);

  const summarize = useCallback((config: NetworkSummary['config']) => {
    requestsRef.current?.request({ type: 'summarize', config }).then(
      (summary) => setSummary({ status: 'ready', summary }),
      (error) => setSummary({ status: 'failed', message: errorMessage(error) }),
    );
  }, []);

  const request = useCallback(<T,>(send: (requests: WorkerRequests) => Promise<T>) => {
    const requests = requestsRef.current;
    return requests === null ? Promise.reject<T>(new Error('The worker is not running.')) : send(requests);
  }, []);

  const predict = useCallback(
    (source: PredictSource, image: Blob) => request((requests) => requests.request({ type: 'predict', source, image })),
    [request],
  );
  const saveModel = useCallback(
    (run: RunRecord, name: string) => request((requests) => requests.request({ type: 'save-model', ...modelFromRun(run, name) })),
    [request],
  );
  const exportModel = useCallback(
    (modelId: string, format: ModelFileFormat) => request((requests) => requests.request({ type: 'export-model', modelId, format })),
    [request],
  );
  const importModel = useCallback(
    (files: File[]) => request((requests) => requests.request({ type: 'import-model', files })),
    [request],
  );
  const evaluateModel = useCallback(
    (modelId: string, datasetId: string | undefined) =>
      request((requests) => requests.request({ type: 'evaluate-model', modelId, ...(datasetId === undefined ? {} : { datasetId }) })),
    [request],
  );
  const exportExperiment = useCallback(
    ({ name, config, dataset, runId, inputChannels }: ExperimentSource) => {
      const experiment: ExperimentExport = {
        name,
        config,
        shape: dataset ? datasetShape(dataset) : FASHION_MNIST_SHAPE,
        datasetName: dataset?.name ?? FASHION_MNIST_NAME,
        ...(dataset ? { datasetId: dataset.id } : {}),
        ...(runId === undefined ? {} : { runId }),
        ...(inputChannels === undefined ? {} : { inputChannels }),
      };
      return request((requests) => requests.request({ type: 'export-experiment', experiment }));
    },
    [request],
  );

  const importDataset = useCallback(
    (name: string, source: ImportSource) => {
      setDatasetImport({ status: 'decoding', decoded: 0, total: 0 });
      request((requests) => requests.request({ type: 'import-dataset', name, source })).then(
        (info) => setDatasetImport({ status: 'done', info }),
        (error) => setDatasetImport({ status: 'failed', message: errorMessage(error) }),
      );
    },
    [request],
  );

  const switchBackend = useCallback((next: BackendName) => {
    if (activeRunRef.current !== null) return;
    setBackendName(next);
  }, []);

  return {
    backend,
    calibration,
    machineRates,
    data,
    activeRunId,
    memoryAfterRun,
    summary,
    datasetImport,
    summarize,
    start,
    resume,
    stop,
    predict,
    saveModel,
    exportModel,
    importModel,
    exportExperiment,
    evaluateModel,
    importDataset,
    switchBackend,
  };
}
