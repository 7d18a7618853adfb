import { type Dispatch, useCallback, useEffect, useRef, useState } from 'react';
import type { TrainConfig } from '../config/trainConfig';
import type { RunAction } from '../experiments/runHistory';
import type { ImportSource } from './importDataset';
import { FASHION_MNIST_NAME, FASHION_MNIST_SHAPE } from '../data/fashionMnist';
import type { ModelFiles } from '../train/modelFile';
import type { QueuedTurn } from '../experiments/runQueue';
import {
  type AdapterDescription,
  type FromWorker,
  type MemoryUse,
  type NetworkSummary,
  type PredictSource,
  type PredictionResult,
  type ToWorker,
  assertNever,
} from './protocol';
import { newRunId } from '../experiments/runHistory';
import type { BackendName } from '../domain/backend';
import { type DatasetInfo, type DatasetRef, datasetShape } from '../domain/dataset';
import type { RunRecord } from '../domain/run';
import type { SavedModelInfo } from '../domain/savedModel';
import type { TransferRef } from '../domain/transfer';

export type BackendState =
  | { status: 'starting'; backend: BackendName }
  | { status: 'ready'; backend: BackendName; adapter: AdapterDescription | null }
  | { status: 'failed'; backend: BackendName; reason: string };

export type DataState =
  | { status: 'waiting' }
  | { status: 'loading'; loadedBytes: number; totalBytes: number | null }
  | { status: 'ready'; trainCount: number; testCount: number }
  | { status: 'failed'; message: string };

export interface TrainingWorker {
  backend: BackendState;
  data: DataState;
  activeRunId: string | null;
  /** What the worker held after the last run ended; the same after every run, or something leaks. */
  memoryAfterRun: MemoryUse | null;
  summary: NetworkSummary | null;
  summarize(config: NetworkSummary['config']): void;
  /** Starts a new run (on Fashion-MNIST unless a dataset is given); a queued turn names its run and where it pauses. */
  start(config: TrainConfig, turn?: QueuedTurn, dataset?: DatasetRef | null, startedFrom?: TransferRef | null): void;
  resume(run: RunRecord, untilEpoch?: number): void;
  stop(): void;
  /** Top classes for one image from a run's latest kept weights or a saved model; rejects with a message. */
  predict(source: PredictSource, image: Blob): Promise<PredictionResult>;
  saveModel(run: RunRecord, name: string): Promise<SavedModelInfo>;
  /** The saved model in tfjs's format, for the page to download. */
  exportModel(modelId: string): Promise<ModelFiles>;
  importModel(json: Blob, weights: Blob): Promise<SavedModelInfo>;
  switchBackend(backend: BackendName): void;
  datasetImport: DatasetImportState;
  /** Decodes and stores an image folder or zip in the worker; progress and the outcome arrive in datasetImport. */
  importDataset(name: string, source: ImportSource): void;
}

export type DatasetImportState =
  | { status: 'idle' }
  | { status: 'decoding'; decoded: number; total: number }
  | { status: 'done'; info: DatasetInfo }
  | { status: 'failed'; message: string };

interface PendingPrediction {
  resolve(result: PredictionResult): void;
  reject(error: Error): void;
}

let predictionCounter = 0;

const DATA_BASE_URL = `${import.meta.env.BASE_URL}data/fashion-mnist`;


function describeAdapter(adapter: AdapterDescription | null): string | null {
  if (adapter === null) return null;
  return [adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' · ');
}

/** Owns the training worker: one per backend choice, replaced after a crash or a failed run. */
export function useTrainingWorker(dispatch: Dispatch<RunAction>, initialBackend: BackendName = 'webgpu'): TrainingWorker {
  const [backendName, setBackendName] = useState<BackendName>(initialBackend);
  const [generation, setGeneration] = useState(0);
  const [backend, setBackend] = useState<BackendState>({ status: 'starting', backend: initialBackend });
  const [data, setData] = useState<DataState>({ status: 'waiting' });
  const [activeRunId, setActiveRunId] = useState<string | null>(null);
  const [memoryAfterRun, setMemoryAfterRun] = useState<MemoryUse | null>(null);
  const [summary, setSummary] = useState<NetworkSummary | null>(null);
  const [datasetImport, setDatasetImport] = useState<DatasetImportState>({ status: 'idle' });
  const workerRef = useRef<Worker | null>(null);
  const activeRunRef = useRef<string | null>(null);
  const backendRef = useRef<BackendState>(backend);
  backendRef.current = backend;
  const pendingPredictions = useRef(new Map<number, PendingPrediction>());
  const pendingModelRequest = useRef<{ resolve(value: unknown): void; reject(error: Error): void } | null>(null);
  const settleModelRequest = (settle: (request: { resolve(value: unknown): void; reject(error: Error): void }) => void) => {
    const request = pendingModelRequest.current;
    pendingModelRequest.current = null;
    if (request) settle(request);
  };
  const settlePrediction = (requestId: number, settle: (request: PendingPrediction) => void) => {
    const request = pendingPredictions.current.get(requestId);
    pendingPredictions.current.delete(requestId);
    if (request) settle(request);
  };

  useEffect(() => {
    const worker = new Worker(new URL('./training.worker.ts', import.meta.url), { type: 'module' });
    workerRef.current = worker;
    const send = (message: ToWorker) => worker.postMessage(message);
    const endRun = () => {
      activeRunRef.current = null;
      setActiveRunId(null);
    };
    const replaceWorker = () => setGeneration((g) => g + 1);
    const failActiveRun = (reason: string, runId = activeRunRef.current) => {
      if (runId !== null) dispatch({ type: 'failed', runId, message: reason });
      endRun();
      replaceWorker();
    };
    setBackend({ status: 'starting', backend: backendName });
    setData({ status: 'waiting' });

    worker.onmessage = (event: MessageEvent<FromWorker>) => {
      const message = event.data;
      switch (message.type) {
        case 'backend-ready':
          setBackend({ status: 'ready', backend: message.backend, adapter: message.adapter });
          setData({ status: 'loading', loadedBytes: 0, totalBytes: null });
          break;
        case 'backend-failed':
          setBackend({ status: 'failed', backend: message.backend, reason: message.reason });
          break;
        case 'data-progress':
          setData((current) =>
            current.status === 'failed' || current.status === 'ready'
              ? current
              : { status: 'loading', loadedBytes: message.loadedBytes, totalBytes: message.totalBytes },
          );
          break;
        case 'data-ready':
          setData({ status: 'ready', trainCount: message.trainCount, testCount: message.testCount });
          break;
        case 'data-failed':
          setData({ status: 'failed', message: message.message });
          break;
        case 'run-started':
          break;
        case 'warmup':
          dispatch({ type: 'warmup', runId: message.runId, seconds: message.seconds });
          break;
        case 'batch':
          dispatch({ type: 'batch', runId: message.runId, sample: message.sample });
          break;
        case 'epoch':
          dispatch({ type: 'epoch', runId: message.runId, report: message.report });
          break;
        case 'evaluation':
          dispatch({ type: 'evaluation', runId: message.runId, evaluation: message.evaluation });
          break;
        case 'run-ended':
          dispatch({ type: 'ended', runId: message.runId, outcome: message.outcome });
          setMemoryAfterRun(message.memory);
          endRun();
          break;
        case 'run-failed':
          // A failed step can leave tensors and device state behind; a fresh worker starts clean.
          failActiveRun(message.message, message.runId);
          break;
        case 'summary':
          setSummary(message.summary);
          break;
        case 'prediction':
          settlePrediction(message.requestId, (request) => request.resolve(message.result));
          break;
        case 'prediction-failed':
          settlePrediction(message.requestId, (request) => request.reject(new Error(message.message)));
          break;
        case 'dataset-progress':
          setDatasetImport({ status: 'decoding', decoded: message.decoded, total: message.total });
          break;
        case 'dataset-imported':
          setDatasetImport({ status: 'done', info: message.info });
          break;
        case 'dataset-import-failed':
          setDatasetImport({ status: 'failed', message: message.message });
          break;
        case 'model-saved':
          settleModelRequest((request) => request.resolve(message.info));
          break;
        case 'model-exported':
          settleModelRequest((request) => request.resolve(message.files));
          break;
        case 'model-failed':
          settleModelRequest((request) => request.reject(new Error(message.message)));
          break;
        case 'transfer-check':
          dispatch({ type: 'transfer-check', runId: message.runId, check: message.check });
          break;
        case 'device-lost':
          failActiveRun(`The GPU device was lost (${message.reason}); a fresh worker is starting.`);
          break;
        default:
          assertNever(message);
      }
    };
    const predictions = pendingPredictions.current;
    // A request the dead worker held would otherwise wait forever: each gets an answer, the error.
    const rejectPending = (reason: string) => {
      for (const request of predictions.values()) request.reject(new Error(reason));
      predictions.clear();
      settleModelRequest((request) => request.reject(new Error(reason)));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      const reason = `The training worker crashed (${event.message || 'unknown error'}); a fresh worker is starting.`;
      rejectPending(reason);
      if (activeRunRef.current !== null) failActiveRun(reason);
      else replaceWorker();
    };
    send({ type: 'init', backend: backendName, dataBaseUrl: DATA_BASE_URL });
    return () => {
      worker.terminate();
      workerRef.current = null;
      rejectPending('The worker restarted; try again.');
    };
  }, [backendName, generation, dispatch]);

  const start = useCallback(
    (config: TrainConfig, turn?: QueuedTurn, dataset: DatasetRef | null = null, startedFrom: TransferRef | null = null) => {
      const worker = workerRef.current;
      const state = backendRef.current;
      if (worker === null || state.status !== 'ready' || activeRunRef.current !== null) return;
      const runId = turn?.runId ?? newRunId();
      activeRunRef.current = runId;
      setActiveRunId(runId);
      dispatch({
        type: 'created',
        run: {
          id: runId,
          config,
          backend: state.backend,
          adapter: describeAdapter(state.adapter),
          startedAt: Date.now(),
          group: turn?.group ?? null,
          dataset,
          startedFrom,
        },
      });
      const datasetId = dataset?.id;
      const transfer = startedFrom
        ? { modelId: startedFrom.modelId, freezeThrough: startedFrom.freezeThrough, inputChannels: startedFrom.inputChannels }
        : undefined;
      worker.postMessage({ type: 'start', runId, config, untilEpoch: turn?.untilEpoch, datasetId, transfer } satisfies ToWorker);
    },
    [dispatch],
  );

  const resume = useCallback(
    (run: RunRecord, untilEpoch?: number) => {
      const worker = workerRef.current;
      if (worker === null || backendRef.current.status !== 'ready' || activeRunRef.current !== null) return;
      activeRunRef.current = run.id;
      setActiveRunId(run.id);
      dispatch({ type: 'resumed', runId: run.id });
      worker.postMessage({
        type: 'start',
        runId: run.id,
        config: run.config,
        resume: { epochsRecorded: run.epochs.length },
        untilEpoch,
        datasetId: run.dataset?.id,
        transfer: run.startedFrom
          ? { freezeThrough: run.startedFrom.freezeThrough, inputChannels: run.startedFrom.inputChannels }
          : undefined,
      } satisfies ToWorker);
    },
    [dispatch],
  );

  const stop = useCallback(() => {
    const runId = activeRunRef.current;
    if (runId !== null) workerRef.current?.postMessage({ type: 'stop', runId } satisfies ToWorker);
  }, []);

  const summarize = useCallback((config: NetworkSummary['config']) => {
    workerRef.current?.postMessage({ type: 'summarize', config } satisfies ToWorker);
  }, []);

  const predict = useCallback((source: PredictSource, image: Blob) => {
    const worker = workerRef.current;
    if (worker === null) return Promise.reject(new Error('The worker is not running.'));
    const requestId = ++predictionCounter;
    return new Promise<PredictionResult>((resolve, reject) => {
      pendingPredictions.current.set(requestId, { resolve, reject });
      worker.postMessage({ type: 'predict', requestId, source, image } satisfies ToWorker);
    });
  }, []);

  /** One model operation at a time: the worker answers each with model-saved, model-exported or model-failed. */
  const modelRequest = useCallback(<T,>(message: ToWorker) => {
    const worker = workerRef.current;
    if (worker === null) return Promise.reject<T>(new Error('The worker is not running.'));
    pendingModelRequest.current?.reject(new Error('Another model operation replaced this one.'));
    return new Promise<T>((resolve, reject) => {
      pendingModelRequest.current = { resolve: resolve as (value: unknown) => void, reject };
      worker.postMessage(message);
    });
  }, []);
  const saveModel = useCallback(
    (run: RunRecord, name: string) =>
      modelRequest<SavedModelInfo>({
        type: 'save-model',
        runId: run.id,
        name,
        config: run.config,
        shape: run.dataset ? datasetShape(run.dataset) : FASHION_MNIST_SHAPE,
        datasetName: run.dataset?.name ?? FASHION_MNIST_NAME,
      }),
    [modelRequest],
  );
  const exportModel = useCallback((modelId: string) => modelRequest<ModelFiles>({ type: 'export-model', modelId }), [modelRequest]);
  const importModel = useCallback(
    (json: Blob, weights: Blob) => modelRequest<SavedModelInfo>({ type: 'import-model', json, weights }),
    [modelRequest],
  );

  const importDataset = useCallback((name: string, source: ImportSource) => {
    const worker = workerRef.current;
    if (worker === null) return;
    setDatasetImport({ status: 'decoding', decoded: 0, total: 0 });
    worker.postMessage({ type: 'import-dataset', name, source } satisfies ToWorker);
  }, []);

  const switchBackend = useCallback((next: BackendName) => {
    if (activeRunRef.current !== null) return;
    setBackendName(next);
  }, []);

  return {
    backend,
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
    importDataset,
    switchBackend,
  };
}
