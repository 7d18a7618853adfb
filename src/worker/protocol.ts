import type { NetworkShape, TrainConfig } from '../config/trainConfig';
import type { BlockSummary, TrainingMemoryEstimate } from '../model/summary';
import type { RankedClass } from '../train/predict';
import type { ModelFiles } from '../train/modelFile';
import type { ImportSource } from './importDataset';
import type { BackendName } from '../domain/backend';
import type { DatasetInfo, DatasetShape } from '../domain/dataset';
import type { SavedModelInfo } from '../domain/savedModel';
import type { BatchLossSample, EpochReport, Evaluation, TrainingOutcome } from '../domain/training';
import type { Stage, TransferCheck } from '../domain/transfer';

/** Messages both sides exchange; this file holds types only, so the UI bundle stays free of tfjs. */

/** wasm first: it needs no GPU, and on the CPU (XNNPACK, SIMD, threads) it far outruns tfjs's plain-JS cpu. */
export const FALLBACK_BACKENDS: readonly BackendName[] = ['wasm', 'webgl', 'cpu'];

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  description: string;
  /** A CPU implementation of WebGPU (SwiftShader): correct but very slow. */
  isSoftware: boolean;
}

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

export type ToWorker =
  | { type: 'init'; backend: BackendName; dataBaseUrl: string }
  | {
      type: 'start';
      runId: string;
      config: TrainConfig;
      /** Continue the run from its checkpoint; the page has recorded this many epochs of it. */
      resume?: { epochsRecorded: number };
      /** Pause after this epoch (race mode). */
      untilEpoch?: number;
      /** An imported dataset to train on instead of Fashion-MNIST. */
      datasetId?: string;
      /** Fine-tuning: the saved model to start from (a fresh run only) and the stages kept frozen. */
      transfer?: { modelId?: string; freezeThrough: Stage | null; inputChannels: number };
    }
  | { type: 'stop'; runId: string }
  | { type: 'summarize'; config: NetworkSummary['config'] }
  /** Classify one image (a drawing or a dropped file, decoded in the worker) with a run's latest weights. */
  | { type: 'predict'; requestId: number; source: PredictSource; image: Blob }
  | { type: 'save-model'; runId: string; name: string; config: TrainConfig; shape: DatasetShape; datasetName: string }
  | { type: 'export-model'; modelId: string }
  | { type: 'import-model'; json: Blob; weights: Blob }
  | { type: 'import-dataset'; name: string; source: ImportSource };

export type FromWorker =
  | { type: 'backend-ready'; backend: BackendName; adapter: AdapterDescription | null }
  | { type: 'backend-failed'; backend: BackendName; reason: string }
  | { type: 'data-progress'; loadedBytes: number; totalBytes: number | null }
  | { type: 'data-ready'; trainCount: number; testCount: number }
  | { type: 'data-failed'; message: string }
  | { type: 'run-started'; runId: string }
  | { type: 'warmup'; runId: string; seconds: number }
  | { type: 'batch'; runId: string; sample: BatchLossSample }
  | { type: 'epoch'; runId: string; report: EpochReport }
  | { type: 'evaluation'; runId: string; evaluation: Evaluation }
  | { type: 'run-ended'; runId: string; outcome: TrainingOutcome; memory: MemoryUse }
  | { type: 'run-failed'; runId: string; message: string }
  | { type: 'device-lost'; reason: string }
  | { type: 'summary'; summary: NetworkSummary }
  | { type: 'prediction'; requestId: number; result: PredictionResult }
  | { type: 'prediction-failed'; requestId: number; message: string }
  | { type: 'dataset-progress'; decoded: number; total: number }
  | { type: 'dataset-imported'; info: DatasetInfo }
  | { type: 'dataset-import-failed'; message: string }
  | { type: 'model-saved'; info: SavedModelInfo }
  | { type: 'model-exported'; files: ModelFiles }
  | { type: 'model-failed'; message: string }
  | { type: 'transfer-check'; runId: string; check: TransferCheck };

export function assertNever(value: never): never {
  throw new Error(`Unhandled message: ${JSON.stringify(value)}`);
}
