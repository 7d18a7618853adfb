/** A file an import left out, and why. */
export interface SkippedFile {
  path: string;
  reason: string;
}

/** An imported dataset as the page shows it: everything but the pixels (kept apart, read by the worker). */
export interface DatasetInfo {
  id: string;
  name: string;
  classes: readonly string[];
  /** Stored images are square, side × side. */
  side: number;
  /** 1 (grey) or 3 (RGB). */
  channels: number;
  trainCounts: number[];
  valCounts: number[];
  /** True when the import had no val/ folder and a seeded stratified split made one. */
  splitMade: boolean;
  skipped: SkippedFile[];
  /** The first training image of each class, side × side × channels. */
  thumbnails: number[][];
  createdAt: number;
}

/** What the network needs to know of a dataset: its classes, and how its images are stored. */
export type DatasetShape = Pick<DatasetInfo, 'classes' | 'side' | 'channels'>;

/** The imported dataset a run trained on, as its record keeps it. */
export type DatasetRef = Pick<DatasetInfo, 'id' | 'name'> & DatasetShape;

export const datasetShape = ({ classes, side, channels }: DatasetShape): DatasetShape => ({ classes, side, channels });

export const datasetRef = ({ id, name, classes, side, channels }: DatasetRef): DatasetRef => ({ id, name, classes, side, channels });
