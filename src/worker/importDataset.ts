import { IMPORT_SIDE, MAX_DATASET_BYTES, datasetBytes } from '../data/importLimits';
import type { LabelledImages } from '../data/dataset';
import { type LabelledFile, parseImageFolder } from '../data/imageFolder';
import { readZip } from '../data/zip';
import { uniqueId } from '../experiments/ids';
import { decodeImage, isGrey } from './decodeImage';
import type { DatasetInfo, SkippedFile } from '../domain/dataset';

export type ImportSource = { kind: 'files'; files: { path: string; file: Blob }[] } | { kind: 'zip'; file: Blob };

const MB = 1024 * 1024;

async function entriesOf(source: ImportSource): Promise<{ path: string; blob: Blob }[]> {
  if (source.kind === 'files') return source.files.map(({ path, file }) => ({ path, blob: file }));
  const zip = readZip(new Uint8Array(await source.file.arrayBuffer()));
  return zip.map(({ path, bytes }) => ({ path, blob: new Blob([bytes.slice()]) }));
}

function labelledImages(files: LabelledFile[], decoded: Map<string, Uint8Array>, channels: number): LabelledImages {
  const size = IMPORT_SIDE * IMPORT_SIDE * channels;
  const images = new Uint8Array(files.length * size);
  files.forEach(({ path }, i) => {
    const rgb = decoded.get(path)!;
    images.set(channels === 3 ? rgb : rgb.filter((_, j) => j % 3 === 0), i * size);
  });
  return { count: files.length, images, labels: Uint8Array.from(files, (f) => f.classIndex) };
}

/**
 * Reads an image folder or zip into a dataset: the layout is checked first (nothing is decoded for a refused one),
 * then the memory it would take on the device, then every image is decoded at 64×64. Images the browser cannot
 * decode are skipped and listed; all-grey datasets are kept with one channel.
 */
export async function importDataset(
  name: string,
  source: ImportSource,
  onProgress: (decoded: number, total: number) => void,
  maxBufferBytes: number | undefined,
): Promise<{ info: DatasetInfo; train: LabelledImages; test: LabelledImages }> {
  const entries = await entriesOf(source);
  const blobs = new Map(entries.map((e) => [e.path, e.blob]));
  const parsed = parseImageFolder(entries.map((e) => ({ path: e.path, size: e.blob.size })));
  if (!parsed.ok) throw new Error(parsed.message);
  const { layout } = parsed;
  const files = [...layout.train, ...layout.val];
  const needed = datasetBytes(files.length, IMPORT_SIDE, 3);
  const limit = Math.min(MAX_DATASET_BYTES, maxBufferBytes ?? Infinity);
  if (needed > limit) {
    throw new Error(
      `${files.length} images at ${IMPORT_SIDE}×${IMPORT_SIDE} RGB need about ${Math.ceil(needed / MB)} MB of GPU ` +
        `memory; this GPU allows ${Math.floor(limit / MB)} MB for a dataset. Import fewer images.`,
    );
  }
  const decoded = new Map<string, Uint8Array>();
  const skipped: SkippedFile[] = [...layout.skipped];
  for (const [index, file] of files.entries()) {
    try {
      decoded.set(file.path, await decodeImage(blobs.get(file.path)!, { shape: { side: IMPORT_SIDE, channels: 3 }, darkGround: false }));
    } catch {
      skipped.push({ path: file.path, reason: 'could not be decoded' });
    }
    onProgress(index + 1, files.length);
  }
  const kept = (list: LabelledFile[]) => list.filter((f) => decoded.has(f.path));
  const [train, val] = [kept(layout.train), kept(layout.val)];
  const lost = layout.classes.filter((_, c) => !train.some((f) => f.classIndex === c));
  if (lost.length > 0) throw new Error(`No decodable training images for class ${lost.map((n) => `"${n}"`).join(', ')}.`);
  if (val.length === 0) throw new Error('No images are left to validate on: add a val/ folder or more images per class.');
  const channels = [...decoded.values()].every(isGrey) ? 1 : 3;
  const trainImages = labelledImages(train, decoded, channels);
  const size = IMPORT_SIDE * IMPORT_SIDE * channels;
  const counts = (list: LabelledFile[]) => layout.classes.map((_, c) => list.filter((f) => f.classIndex === c).length);
  const info: DatasetInfo = {
    id: uniqueId('dataset'),
    name,
    classes: layout.classes,
    side: IMPORT_SIDE,
    channels,
    trainCounts: counts(train),
    valCounts: counts(val),
    splitMade: layout.splitMade,
    skipped,
    thumbnails: layout.classes.map((_, c) => {
      const first = train.findIndex((f) => f.classIndex === c);
      return [...trainImages.images.subarray(first * size, (first + 1) * size)];
    }),
    createdAt: Date.now(),
  };
  return { info, train: trainImages, test: labelledImages(val, decoded, channels) };
}
