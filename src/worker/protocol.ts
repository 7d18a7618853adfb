import type { NetworkShape, TrainConfig } from '../config/trainConfig';
import type { BlockSummary, TrainingMemoryEstimate } from '../model/summary';
import type { RankedClass } from '../train/predict';
import type { ImportSource } from './importDataset';
import type { AdapterDescription, BackendName } from '../domain/backend';

export type { AdapterDescription };
import type { DatasetInfo, DatasetShape } from '../domain/dataset';
import type { DownloadFile } from '../domain/file';
import type { Calibration, RateSample } from '../domain/machineRates';
import type { SavedModelInfo } from '../domain/savedModel';
import type { BatchLossSample, EpochReport, Evaluation, TrainingOutcome } from '../domain/training';
import type { Stage, TransferCheck } from '../domain/transfer';

/** Messages both sides exchange; this file holds types only, so the UI bundle stays free of tfjs. */

/** wasm first: it needs no GPU, and on the CPU (XNNPACK, SIMD, threads) it far outruns tfjs's plain-JS cpu. */
export const FALLBACK_BACKENDS: readonly BackendName[] = ['wasm', 'webgl', 'cpu'];

/** What the worker holds once a run is over: it must return to the same level after every run. */
export interface MemoryUse {
  numTensors: number;
  /** Bytes the backend has allocated (for WebGPU, including its pool of freed buffers). */
  allocatedBytes: number;
}

/** The network a config builds, block by block, with its cost for the chosen batch size. */
export interface NetworkSummary {
  config: NetworkShape;
  blocks: BlockSummary[];
  totalParams: number;
  totalMacs: number;
  memory: TrainingMemoryEstimate;
}

/** The weights to predict with: a run's latest (Fashion-MNIST or the dataset it trained on), or a saved model's. */
export type PredictSource =
  | { kind: 'run'; runId: string; config: TrainConfig; datasetId?: string; inputChannels?: number }
  | { kind: 'model'; modelId: string };

export interface PredictionResult {
  /** The finished epoch whose weights gave it. */
  epoch: number;
  top: RankedClass[];
  classes: readonly string[];
  /** The image as the network saw it (side × side × channels), so the page can show it. */
  pixels: number[];
  side: number;
  channels: number;
}

/** A run to train: fresh, or continued from its checkpoint. */
export interface StartRun {
  runId: string;
  config: TrainConfig;
  /** Continue the run from its checkpoint; the page has recorded this many epochs of it. */
  resume?: { epochsRecorded: number };
  /** Pause after this epoch (race mode). */
  untilEpoch?: number;
  /** An imported dataset to train on instead of Fashion-MNIST. */
  datasetId?: string;
  /** Fine-tuning: the saved model a fresh run starts from, and the stages kept frozen. */
  transfer?: { modelId?: string; freezeThrough: Stage | null; inputChannels: number };
}

/** A run's latest kept weights, described as a saved model of them is. */
export interface ModelFromRun {
  runId: string;
  name: string;
  config: TrainConfig;
  shape: DatasetShape;
  datasetName: string;
  /** A fine-tuned run's network keeps its source's input channels, which may differ from its dataset's. */
  inputChannels?: number;
}

/** Settings to train again in PyTorch: a run's (with its latest weights when it kept some) or the form's. */
export interface ExperimentExport {
  name: string;
  config: TrainConfig;
  shape: DatasetShape;
  datasetName: string;
  /** An imported dataset, whose stored images go into the archive; Fashion-MNIST without. */
  datasetId?: string;
  runId?: string;
  inputChannels?: number;
}

/** tfjs's layers-model format (one zip, loadable by stock tfjs), or safetensors under PyTorch's names. */
export type ModelFileFormat = 'tfjs' | 'safetensors';

/** How a run ended, what the worker still holds after it, and (fine-tuning) how far its weights moved. */
export interface RunResult {
  outcome: TrainingOutcome;
  memory: MemoryUse;
  transferCheck: TransferCheck | null;
}

/**
 * Every request the page makes. Each is sent with an id and answered exactly once under that id, with a 'result'
 * or an 'error'; the page rejects the requests still open when the worker dies. A new request type goes here, in
 * Replies, and in the worker's router (router.ts).
 */
export type WorkerRequest =
  | { type: 'init'; backend: BackendName }
  /** Loads Fashion-MNIST, streaming data-progress. */
  | { type: 'load-data'; dataBaseUrl: string }
  /** Trains a run, streaming its losses and epochs; answered when the run ends. */
  | ({ type: 'start' } & StartRun)
  /** Answered at once; the run's own request answers when it has stopped. */
  | { type: 'stop'; runId: string }
  | { type: 'summarize'; config: NetworkShape }
  /** Classify one image (a drawing or a dropped file, decoded in the worker) with a run's latest weights. */
  | { type: 'predict'; source: PredictSource; image: Blob }
  | ({ type: 'save-model' } & ModelFromRun)
  | { type: 'export-model'; modelId: string; format: ModelFileFormat }
  /** A tfjs zip, a .safetensors file, or a model.json with its .weights.bin. */
  | { type: 'import-model'; files: File[] }
  /** A saved model's confusion matrix on a dataset's test split: Fashion-MNIST's, or an imported one's. */
  | { type: 'evaluate-model'; modelId: string; datasetId?: string }
  /** The run as a PyTorch experiment: train.py, config.json, the data and (when kept) its weights, in one zip. */
  | { type: 'export-experiment'; experiment: ExperimentExport }
  /** Decodes and stores an image folder or zip, streaming dataset-progress. */
  | { type: 'import-dataset'; name: string; source: ImportSource }
  /**
   * Times a few steps of the calibrated network on Fashion-MNIST once no other request has used the device for a
   * while; answered with CALIBRATION_GAVE_WAY's error when one arrives meanwhile (a run, a prediction, a saved model).
   */
  | { type: 'calibrate' };

export type RequestType = WorkerRequest['type'];

/** What each request is answered with. */
export interface Replies {
  init: { adapter: AdapterDescription | null };
  'load-data': { trainCount: number; testCount: number };
  start: RunResult;
  stop: { stopping: boolean };
  summarize: NetworkSummary;
  predict: PredictionResult;
  'save-model': SavedModelInfo;
  'export-model': DownloadFile;
  'import-model': SavedModelInfo;
  'export-experiment': DownloadFile;
  'evaluate-model': Evaluation;
  'import-dataset': DatasetInfo;
  calibrate: Calibration;
}

export type Reply = { [K in RequestType]: { type: K; value: Replies[K] } }[RequestType];

export type ToWorker = WorkerRequest & { id: number };

export type FromWorker =
  | { type: 'result'; id: number; reply: Reply }
  | { type: 'error'; id: number; message: string }
  | { type: 'data-progress'; loadedBytes: number; totalBytes: number | null }
  | { type: 'dataset-progress'; decoded: number; total: number }
  | { type: 'warmup'; runId: string; seconds: number }
  | { type: 'batch'; runId: string; sample: BatchLossSample }
  | { type: 'epoch'; runId: string; report: EpochReport }
  | { type: 'evaluation'; runId: string; evaluation: Evaluation }
  /** After each epoch's report: what it measured, to refine this backend's calibration. */
  | { type: 'rate'; runId: string; sample: RateSample }
  /** The GPU device was lost or reported an error; the reason is a sentence. */
  | { type: 'device-failed'; reason: string };

/** The messages that are not answers: progress and the streams of a training run. */
export type WorkerEvent = Exclude<FromWorker, { type: 'result' | 'error' }>;

export function assertNever(value: never): never {
  throw new Error(`Unhandled message: ${JSON.stringify(value)}`);
}
