import type { TrainConfig } from '../config/trainConfig';
import type { DatasetShape } from './dataset';

/** A trained network kept by name: its settings, its classes and how its images are stored. Weights are apart. */
export interface SavedModelInfo extends DatasetShape {
  id: string;
  name: string;
  config: TrainConfig;
  /** What it was trained on ("Fashion-MNIST" or an imported folder's name), and from which run and epoch. */
  datasetName: string;
  fromRunId: string | null;
  epoch: number;
  createdAt: number;
}
