import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseImageFolder } from './imageFolder';
import { readZip } from './zip';

describe('readZip', () => {
  it('lists the files of an archive, which parse as an image-folder layout', () => {
    const archive = zipSync({
      'shapes/circle/1.png': strToU8('png bytes'),
      'shapes/square/1.png': strToU8('png bytes'),
      'shapes/square/notes.txt': strToU8('junk'),
      'shapes/empty/': new Uint8Array(0),
    });
    const entries = readZip(archive);
    expect(entries.map((e) => e.path).sort()).toEqual(['shapes/circle/1.png', 'shapes/square/1.png', 'shapes/square/notes.txt']);
    const layout = parseImageFolder(entries.map((e) => ({ path: e.path, size: e.bytes.length })));
    expect(layout.ok && layout.layout.classes).toEqual(['circle', 'square']);
    expect(layout.ok && layout.layout.skipped).toEqual([{ path: 'shapes/square/notes.txt', reason: 'not an image' }]);
  });

  it('refuses a file that is not a zip', () => {
    expect(() => readZip(strToU8('plain text'))).toThrow(/not a zip archive/);
  });
});
