/** The side imported images are stored at; each run resizes them to its resolution, as Fashion-MNIST's 28. */
export const IMPORT_SIDE = 64;
/** Device memory the stored images may take (float32 on the GPU), beyond which an import is refused. */
export const MAX_DATASET_BYTES = 512 * 1024 * 1024;

export const datasetBytes = (images: number, side: number, channels: number): number => images * side * side * channels * 4;
