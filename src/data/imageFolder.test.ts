import { describe, expect, it } from 'vitest';
import { type ImportedFile, MAX_IMAGE_BYTES, parseImageFolder, stratifiedSplit } from './imageFolder';

const files = (...paths: string[]): ImportedFile[] => paths.map((path) => ({ path, size: 1000 }));

describe('parseImageFolder', () => {
  it('reads train/ and val/ folders, classes from folder names, sorted', () => {
    const result = parseImageFolder(
      files('flowers/train/tulip/1.jpg', 'flowers/train/daisy/2.png', 'flowers/train/daisy/1.png', 'flowers/val/daisy/3.png', 'flowers/val/tulip/4.JPG'),
    );
    expect(result).toEqual({
      ok: true,
      layout: {
        classes: ['daisy', 'tulip'],
        train: [
          { path: 'flowers/train/daisy/1.png', classIndex: 0 },
          { path: 'flowers/train/daisy/2.png', classIndex: 0 },
          { path: 'flowers/train/tulip/1.jpg', classIndex: 1 },
        ],
        val: [
          { path: 'flowers/val/daisy/3.png', classIndex: 0 },
          { path: 'flowers/val/tulip/4.JPG', classIndex: 1 },
        ],
        splitMade: false,
        skipped: [],
      },
    });
  });

  it('splits a layout without val/ by class, and says so', () => {
    const cats = Array.from({ length: 10 }, (_, i) => `pets/cat/${i}.png`);
    const dogs = Array.from({ length: 5 }, (_, i) => `pets/dog/${i}.png`);
    const result = parseImageFolder(files(...cats, ...dogs));
    if (!result.ok) throw new Error(result.message);
    expect(result.layout.classes).toEqual(['cat', 'dog']);
    expect(result.layout.splitMade).toBe(true);
    const count = (list: { classIndex: number }[], c: number) => list.filter((f) => f.classIndex === c).length;
    expect([count(result.layout.val, 0), count(result.layout.val, 1)]).toEqual([2, 1]);
    expect(result.layout.train).toHaveLength(12);
  });

  it('skips and lists junk: non-images, oversized images, files outside class folders; hidden files silently', () => {
    const result = parseImageFolder([
      ...files('data/a/1.png', 'data/b/1.png', 'data/a/readme.txt', 'data/loose.png', 'data/.DS_Store', 'data/__MACOSX/a/._1.png'),
      { path: 'data/b/huge.png', size: MAX_IMAGE_BYTES + 1 },
    ]);
    if (!result.ok) throw new Error(result.message);
    expect(result.layout.skipped).toEqual([
      { path: 'data/a/readme.txt', reason: 'not an image' },
      { path: 'data/loose.png', reason: 'not inside a class folder' },
      { path: 'data/b/huge.png', reason: 'larger than 20 MB' },
    ]);
    expect(result.layout.train.length + result.layout.val.length).toBe(2);
  });

  it.each([
    ['one class', files('x/only/1.png', 'x/only/2.png'), /Only one class \("only"\)/],
    ['no class folders', files('a.png', 'b.txt'), /No images were found/],
    ['a class with only validation images', files('train/a/1.png', 'val/a/2.png', 'val/b/3.png'), /No training images for class "b"/],
  ])('refuses %s with the reason', (_, input, message) => {
    const result = parseImageFolder(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });
});

describe('stratifiedSplit', () => {
  const labelled = (perClass: number[]) =>
    perClass.flatMap((n, classIndex) => Array.from({ length: n }, (_, i) => ({ path: `${classIndex}/${i}`, classIndex })));

  it('holds out the same share of every class, never a class\'s only image', () => {
    const { train, val } = stratifiedSplit(labelled([10, 20, 1, 2]), 4, 0.2, 1);
    const counts = (list: { classIndex: number }[]) => [0, 1, 2, 3].map((c) => list.filter((f) => f.classIndex === c).length);
    expect(counts(val)).toEqual([2, 4, 0, 1]);
    expect(counts(train)).toEqual([8, 16, 1, 1]);
  });

  it('is the same for the same seed and differs for another', () => {
    const paths = (seed: number) => stratifiedSplit(labelled([30]), 1, 0.2, seed).val.map((f) => f.path);
    expect(paths(3)).toEqual(paths(3));
    expect(paths(3)).not.toEqual(paths(4));
  });
});
