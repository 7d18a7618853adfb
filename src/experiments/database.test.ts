import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { DB_VERSION, DescribedStore, type StorageNotice, THIS_WRITER, listenToStorage } from './database';
import type { DatasetInfo } from '../domain/dataset';
import type { Checkpoint } from '../domain/training';
import { run } from './runFixture';

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

const images = {
  train: { count: 2, images: Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7]), labels: Uint8Array.from([0, 1]) },
  test: { count: 1, images: Uint8Array.from([9, 9, 9, 9]), labels: Uint8Array.from([0]) },
};

/** The notices heard until `until` returns true. */
function hear(until: (heard: StorageNotice[]) => boolean): Promise<StorageNotice[]> {
  const heard: StorageNotice[] = [];
  return new Promise((resolve) => {
    const stop = listenToStorage((notice) => {
      heard.push(notice);
      if (!until(heard)) return;
      stop();
      resolve(heard);
    });
  });
}

describe('DescribedStore', () => {
  it('keeps descriptions apart from payloads, and writes and removes both together', async () => {
    const store = await DescribedStore.open('datasets', 'datasets-test');
    await store.save(info('second', 20), images);
    await store.save(info('first', 10), images);
    expect((await store.list()).map((d) => d.id).sort()).toEqual(['first', 'second']);
    expect(await store.load('first')).toEqual({ description: info('first', 10), payload: images });
    await store.delete('first');
    expect(await store.load('first')).toBeUndefined();
    expect(await store.loadPayload('first')).toBeUndefined();
    expect((await store.list()).map((d) => d.id)).toEqual(['second']);
    store.close();
  });

  it("keeps a run's checkpoint under the run's id, written apart from the run and deleted with it", async () => {
    const store = await DescribedStore.open('runs', 'runs-test');
    const checkpoint = { epoch: 1, step: 8, examplesSeen: 64, elapsedSeconds: 3, weights: [Float32Array.from([1, 2])], report: run('r').epochs[0]! } satisfies Checkpoint;
    await store.save({ ...run('r'), version: 3 });
    await store.savePayload('r', checkpoint);
    expect(await store.loadPayload('r')).toEqual(checkpoint);
    await store.delete('r');
    expect(await store.get('r')).toBeUndefined();
    expect(await store.loadPayload('r')).toBeUndefined();
    store.close();
  });

  it('announces every write and removal with its writer, so another context can read it again', async () => {
    const store = await DescribedStore.open('models', 'notices-test');
    const heard = hear((notices) => notices.length === 2);
    const model = { id: 'm', name: 'm', config: run('m').config, classes: ['a'], side: 2, channels: 1, datasetName: 'x', fromRunId: null, epoch: 1, createdAt: 1 };
    await store.save(model, { weights: [Float32Array.from([0])] });
    await store.delete('m');
    expect(await heard).toEqual([
      { type: 'changed', store: 'models', id: 'm', writer: THIS_WRITER },
      { type: 'changed', store: 'models', id: 'm', writer: THIS_WRITER },
    ]);
    store.close();
  });

  it("lets go of its connection when another tab opens a newer version, so that tab's upgrade is not blocked", async () => {
    const store = await DescribedStore.open('runs', 'upgrade-test');
    const heard = hear((notices) => notices.some((notice) => notice.type === 'superseded'));
    const newer = await openDB('upgrade-test', DB_VERSION + 1, {
      blocked: () => {
        throw new Error('The older connection blocked the upgrade.');
      },
    });
    expect((await heard).map((notice) => notice.type)).toContain('superseded');
    await expect(store.get('any')).rejects.toThrow();
    newer.close();
  });

  it('says that its own upgrade waits for an older connection that holds on', async () => {
    const older = await openDB('blocked-test', DB_VERSION - 1, {
      upgrade: (db) => void db.createObjectStore('runs', { keyPath: 'id' }),
    });
    const heard = hear((notices) => notices.some((notice) => notice.type === 'blocked'));
    const opening = DescribedStore.open('runs', 'blocked-test');
    expect((await heard).map((notice) => notice.type)).toContain('blocked');
    older.close();
    (await opening).close();
  });
});
