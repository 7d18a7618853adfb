import type { TrainConfig } from '../config/trainConfig';
import type { RunBackend } from './backend';
import type { DatasetRef } from './dataset';
import type { BatchLossSample, EpochReport, Evaluation } from './training';
import type { TransferRef } from './transfer';

/**
 * 'interrupted': the page closed or reloaded while the run was training; its finished epochs are kept.
 * 'paused': waiting for its next turn in a race.
 */
export type RunStatus = 'running' | 'done' | 'stopped' | 'failed' | 'interrupted' | 'paused';

export interface RunRecord {
  id: string;
  /** A user-given label; empty means the settings describe the run. */
  name: string;
  config: TrainConfig;
  backend: RunBackend;
  adapter: string | null;
  status: RunStatus;
  startedAt: number;
  /** Seconds the first step took, shader compilation included; null until it finished. */
  warmupSeconds: number | null;
  epochs: EpochReport[];
  batchLosses: BatchLossSample[];
  error: string | null;
  /** The lab or study queue that made the run, if one did. */
  group: string | null;
  /** The latest epoch's confusion matrix and misclassified test images. */
  evaluation: Evaluation | null;
  /** The imported dataset the run trained on; null for Fashion-MNIST. */
  dataset: DatasetRef | null;
  /** The saved model a fine-tuning run started from. */
  startedFrom: TransferRef | null;
}
