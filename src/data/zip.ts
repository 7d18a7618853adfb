import { unzipSync } from 'fflate';

export interface ZipEntry {
  path: string;
  bytes: Uint8Array;
}

/** The files of a zip archive (fflate: a small, well-kept inflate); folders are implied by the paths. */
export function readZip(archive: Uint8Array): ZipEntry[] {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(archive);
  } catch {
    throw new Error('This file is not a zip archive that can be read.');
  }
  return Object.entries(files)
    .filter(([path]) => !path.endsWith('/'))
    .map(([path, bytes]) => ({ path, bytes }));
}
