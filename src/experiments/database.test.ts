import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { DatasetStore } from './database';
import type { DatasetInfo } from '../domain/dataset';

const info = (id: string, createdAt: number): DatasetInfo => ({
  id,
  name: `set ${id}`,
  classes: ['a', 'b'],
  side: 2,
  channels: 1,
  trainCounts: [1, 1],
  valCounts: [1, 0],
  splitMade: true,
  skipped: [{ path: 'x.txt', reason: 'not an image' }],
  thumbnails: [[0, 1, 2, 3], [4, 5, 6, 7]],
  createdAt,
});

describe('DatasetStore', () => {
  it('keeps descriptions apart from pixels, lists them in import order, and removes both together', async () => {
    const store = await DatasetStore.open('datasets-test');
    const images = {
      train: { count: 2, images: Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7]), labels: Uint8Array.from([0, 1]) },
      test: { count: 1, images: Uint8Array.from([9, 9, 9, 9]), labels: Uint8Array.from([0]) },
    };
    await store.save(info('second', 20), images);
    await store.save(info('first', 10), images);
    expect((await store.list()).map((d) => d.id)).toEqual(['first', 'second']);
    expect(await store.load('first')).toEqual({ classes: ['a', 'b'], side: 2, channels: 1, ...images });
    await store.delete('first');
    expect(await store.load('first')).toBeUndefined();
    expect((await store.list()).map((d) => d.id)).toEqual(['second']);
    store.close();
  });
});
