import type { SkippedFile } from './imageFolder';

/** An imported dataset as the page shows it: everything but the pixels (kept apart, read by the worker). */
export interface DatasetInfo {
  id: string;
  name: string;
  classes: string[];
  side: number;
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

/** The side imported images are stored at; each run resizes them to its resolution, as Fashion-MNIST's 28. */
export const IMPORT_SIDE = 64;
/** Device memory the stored images may take (float32 on the GPU), beyond which an import is refused. */
export const MAX_DATASET_BYTES = 512 * 1024 * 1024;

export const datasetBytes = (images: number, side: number, channels: number): number => images * side * side * channels * 4;
