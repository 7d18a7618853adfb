import type { DatasetShape } from '../domain/dataset';

/** Images as side × side × channels bytes (row-major, channels last) and labels 0…classes−1. */
export interface LabelledImages {
  count: number;
  images: Uint8Array;
  labels: Uint8Array;
}

/** A labelled image set a run trains on: Fashion-MNIST, or a folder the user imported. */
export interface ImageDataset extends DatasetShape {
  train: LabelledImages;
  /** Evaluated after each epoch: Fashion-MNIST's test split, or an imported folder's val/ images. */
  test: LabelledImages;
}
