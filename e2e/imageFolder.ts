import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

type Pixel = (x: number, y: number) => [number, number, number];

/** A minimal RGB PNG encoder, so the tests make their images without an image library. */
export function png(side: number, pixel: Pixel): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const framed = Buffer.alloc(body.length + 8);
    framed.writeUInt32BE(data.length, 0);
    body.copy(framed, 4);
    framed.writeUInt32BE(crc32(body), body.length + 4);
    return framed;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.alloc(side * (side * 3 + 1));
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) rows.set(pixel(x, y), y * (side * 3 + 1) + 1 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Three classes a small network can tell apart: colour and shape differ, position varies per image. */
const SHAPES: Record<string, (i: number) => Pixel> = {
  circle: (i) => (x, y) => ((x - 16 - (i % 5)) ** 2 + (y - 16) ** 2 < 64 ? [230, 40, 40] : [10, 10, 10]),
  square: (i) => (x, y) => (Math.abs(x - 14 - (i % 4)) < 7 && Math.abs(y - 16) < 7 ? [40, 220, 40] : [10, 10, 10]),
  stripes: (i) => (x) => ((x + i) % 8 < 4 ? [40, 40, 230] : [10, 10, 10]),
};

/** Writes name/<class>/<n>.png for the given classes, plus a junk text file; returns the folder's path. */
export function writeImageFolder(classes: string[], perClass: number, name = 'shapes'): string {
  const root = join(mkdtempSync(join(tmpdir(), 'playground-')), name);
  for (const className of classes) {
    mkdirSync(join(root, className), { recursive: true });
    for (let i = 0; i < perClass; i++) writeFileSync(join(root, className, `${i}.png`), png(32, SHAPES[className]!(i)));
  }
  writeFileSync(join(root, classes[0]!, 'readme.txt'), 'not an image');
  return root;
}
