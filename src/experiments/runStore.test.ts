import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { DB_VERSION } from './database';
import { run } from './runFixture';
import { RunStore } from './runStore';

let dbCounter = 0;
const freshName = () => `test-db-${++dbCounter}`;

describe('RunStore', () => {
  it('writes runs and reads them back in start order', async () => {
    const store = await RunStore.open(freshName());
    await store.save(run('b', { startedAt: 20 }));
    await store.save(run('a', { startedAt: 10 }));
    expect((await store.loadAll()).map((r) => r.id)).toEqual(['a', 'b']);
    expect((await store.loadAll())[0]).toEqual(run('a', { startedAt: 10 }));
    store.close();
  });

  it('marks a run that was training when the page went away as interrupted, keeping its epochs', async () => {
    const store = await RunStore.open(freshName());
    await store.save(run('r', { status: 'running' }));
    const [loaded] = await store.loadAll();
    expect(loaded!.status).toBe('interrupted');
    expect(loaded!.epochs).toHaveLength(1);
    store.close();
  });

  it('migrates a record of the first shape (no version, no name, no examples seen or elapsed time)', async () => {
    const name = freshName();
    const store = await RunStore.open(name);
    store.close();
    const raw = await openDB(name, DB_VERSION);
    const { name: _unused, epochs, batchLosses, ...firstShape } = run('old');
    await raw.put('runs', {
      ...firstShape,
      epochs: epochs.map(({ examplesSeen: _e, elapsedSeconds: _s, ...e }) => e),
      batchLosses: batchLosses.map(({ examplesSeen: _e, elapsedSeconds: _s, ...s }) => s),
    });
    raw.close();
    const reopened = await RunStore.open(name);
    expect(await reopened.loadAll()).toEqual([run('old')]);
    reopened.close();
  });

  it("reads a version-2 record, written before the ablation options existed, as a run with d2l's settings", async () => {
    const name = freshName();
    const store = await RunStore.open(name);
    store.close();
    const raw = await openDB(name, DB_VERSION);
    const { config, group: _group, ...rest } = run('v2');
    const v2Keys = ['batchSize', 'learningRate', 'epochs', 'trainSubset', 'testSubset', 'resolution', 'width', 'seed'] as const;
    await raw.put('runs', { ...rest, config: Object.fromEntries(v2Keys.map((k) => [k, config[k]])), version: 2 });
    raw.close();
    const reopened = await RunStore.open(name);
    expect(await reopened.loadAll()).toEqual([run('v2')]);
    reopened.close();
  });

  it('keeps the runs of a database created before checkpoints existed (version 1)', async () => {
    const name = freshName();
    const v1 = await openDB(name, 1, { upgrade: (db) => void db.createObjectStore('runs', { keyPath: 'id' }) });
    await v1.put('runs', { ...run('kept'), version: 2 });
    v1.close();
    const store = await RunStore.open(name);
    expect((await store.loadAll()).map((r) => r.id)).toEqual(['kept']);
    store.close();
  });

  it('deletes and updates', async () => {
    const store = await RunStore.open(freshName());
    await store.save(run('x'));
    await store.save(run('y'));
    await store.save(run('y', { name: 'baseline' }));
    await store.delete('x');
    expect((await store.loadAll()).map((r) => [r.id, r.name])).toEqual([['y', 'baseline']]);
    store.close();
  });
});
