/** Images as side × side × channels bytes (row-major, channels last) and labels 0…classes−1. */
export interface LabelledImages {
  count: number;
  images: Uint8Array;
  labels: Uint8Array;
}

/** A labelled image set a run trains on: Fashion-MNIST, or a folder the user imported. */
export interface ImageDataset {
  classes: readonly string[];
  /** Stored images are square, side × side. */
  side: number;
  /** 1 (grey) or 3 (RGB). */
  channels: number;
  train: LabelledImages;
  /** Evaluated after each epoch: Fashion-MNIST's test split, or an imported folder's val/ images. */
  test: LabelledImages;
}

/** What the network needs to know of a dataset: its classes, and how its images are stored. */
export type DatasetShape = Pick<ImageDataset, 'classes' | 'side' | 'channels'>;
