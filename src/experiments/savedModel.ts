import type { TrainConfig } from '../config/trainConfig';
import type { Stage } from '../model/stages';
import type { TransferCheck } from '../train/engine';

/** A trained network kept by name: its settings, its classes and how its images are stored. Weights are apart. */
export interface SavedModelInfo {
  id: string;
  name: string;
  config: TrainConfig;
  classes: string[];
  side: number;
  channels: number;
  /** What it was trained on ("Fashion-MNIST" or an imported folder's name), and from which run and epoch. */
  datasetName: string;
  fromRunId: string | null;
  epoch: number;
  createdAt: number;
}

/** Where a fine-tuned run started: a saved model, with its first stages frozen or not. */
export interface TransferRef {
  modelId: string;
  modelName: string;
  freezeThrough: Stage | null;
  /** The saved network's input channels (its first layer fixes them): the run's images are converted to them. */
  inputChannels: number;
  /** Measured after the run: how far the frozen, the other and the new classifier's weights moved. */
  check: TransferCheck | null;
}
