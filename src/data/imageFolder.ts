import type { SkippedFile } from '../domain/dataset';
import { seededRandom, shuffledIndices } from './random';

/** One file of an imported folder or zip: its path inside the import and its size. */
export interface ImportedFile {
  path: string;
  size: number;
}

export interface LabelledFile {
  path: string;
  classIndex: number;
}

export interface FolderLayout {
  classes: string[];
  train: LabelledFile[];
  /** The images of a `val/` folder, or the held-out share of a seeded stratified split. */
  val: LabelledFile[];
  /** True when the layout had no `val/` folder and the split was made here. */
  splitMade: boolean;
  skipped: SkippedFile[];
}

export type LayoutResult = { ok: true; layout: FolderLayout } | { ok: false; message: string };

const IMAGE_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'gif', 'webp', 'bmp']);
export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;
export const DEFAULT_VAL_FRACTION = 0.2;
const TRAIN_DIRS = new Set(['train', 'training']);
const VAL_DIRS = new Set(['val', 'valid', 'validation', 'test']);

const extensionOf = (path: string) => path.slice(path.lastIndexOf('.') + 1).toLowerCase();
const isHidden = (part: string) => part.startsWith('.') || part === '__MACOSX';

/**
 * The segments below the folder that was imported: a folder picker and most zips put every path under one top
 * folder ("flowers/daisy/1.jpg"), which is the dataset's name, not a class.
 */
function relativeParts(files: ImportedFile[]): string[][] {
  const parts = files.map((file) => file.path.split('/').filter((part) => part !== ''));
  const tops = new Set(parts.map((p) => p[0]));
  const top = [...tops][0]!.toLowerCase();
  const sharedTop = tops.size === 1 && parts.some((p) => p.length > 2) && !TRAIN_DIRS.has(top) && !VAL_DIRS.has(top);
  return sharedTop ? parts.map((p) => p.slice(1)) : parts;
}

/**
 * Reads an image-folder layout — `class/image` or `train/class/image` + `val/class/image` — as torchvision's
 * ImageFolder does: class names from folder names, sorted. Junk (hidden files, non-images, oversized images, files
 * outside a class folder) is skipped and listed; a layout with fewer than two classes, or a class without training
 * images, is refused with the reason.
 */
export function parseImageFolder(files: ImportedFile[], valFraction = DEFAULT_VAL_FRACTION, seed = 1): LayoutResult {
  const skipped: SkippedFile[] = [];
  const train = new Map<string, string[]>();
  const val = new Map<string, string[]>();
  let sawValFolder = false;
  const add = (into: Map<string, string[]>, className: string, path: string) => into.set(className, [...(into.get(className) ?? []), path]);

  relativeParts(files).forEach((parts, i) => {
    const file = files[i]!;
    if (parts.some(isHidden)) return;
    if (!IMAGE_EXTENSIONS.has(extensionOf(file.path))) return void skipped.push({ path: file.path, reason: 'not an image' });
    if (file.size > MAX_IMAGE_BYTES) return void skipped.push({ path: file.path, reason: 'larger than 20 MB' });
    const split = parts[0]!.toLowerCase();
    if (parts.length === 3 && (TRAIN_DIRS.has(split) || VAL_DIRS.has(split))) {
      if (VAL_DIRS.has(split)) sawValFolder = true;
      return void add(VAL_DIRS.has(split) ? val : train, parts[1]!, file.path);
    }
    if (parts.length === 2) return void add(train, parts[0]!, file.path);
    skipped.push({ path: file.path, reason: 'not inside a class folder' });
  });

  const classes = [...new Set([...train.keys(), ...val.keys()])].sort();
  if (classes.length === 0) return { ok: false, message: 'No images were found in class folders (class/image.png).' };
  if (classes.length === 1) return { ok: false, message: `Only one class ("${classes[0]}") was found: a classifier needs at least two.` };
  const empty = classes.filter((name) => (train.get(name) ?? []).length === 0);
  if (empty.length > 0) return { ok: false, message: `No training images for class ${empty.map((n) => `"${n}"`).join(', ')}.` };

  const labelled = (byClass: Map<string, string[]>) =>
    classes.flatMap((name, classIndex) => (byClass.get(name) ?? []).sort().map((path) => ({ path, classIndex })));
  if (sawValFolder) return { ok: true, layout: { classes, train: labelled(train), val: labelled(val), splitMade: false, skipped } };
  const split = stratifiedSplit(labelled(train), classes.length, valFraction, seed);
  return { ok: true, layout: { classes, ...split, splitMade: true, skipped } };
}

/**
 * Holds out `fraction` of each class (rounded, at least one image when the class has two or more, never its last
 * one), chosen by a seeded shuffle, so every class is in both parts in the same proportion.
 */
export function stratifiedSplit(
  files: LabelledFile[],
  classCount: number,
  fraction: number,
  seed: number,
): { train: LabelledFile[]; val: LabelledFile[] } {
  const train: LabelledFile[] = [];
  const val: LabelledFile[] = [];
  const random = seededRandom(seed);
  for (let classIndex = 0; classIndex < classCount; classIndex++) {
    const members = files.filter((file) => file.classIndex === classIndex);
    const order = shuffledIndices(members.length, random);
    const held = members.length < 2 ? 0 : Math.min(members.length - 1, Math.max(1, Math.round(members.length * fraction)));
    order.forEach((index, rank) => (rank < held ? val : train).push(members[index]!));
  }
  return { train, val };
}
