import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../config/trainConfig';
import { DB_VERSION } from './database';
import { RUN_RECORD_VERSION, RunStore, exportRuns, parseExportedRuns, runsToCsv } from './runStore';
import type { RunRecord } from '../domain/run';

let dbCounter = 0;
const freshName = () => `test-db-${++dbCounter}`;

const run = (id: string, overrides: Partial<RunRecord> = {}): RunRecord => ({
  id,
  name: '',
  config: { ...DEFAULT_CONFIG, batchSize: 8 },
  backend: 'webgpu',
  adapter: 'google · swiftshader',
  status: 'done',
  startedAt: 1000 + dbCounter,
  warmupSeconds: 12.5,
  epochs: [
    { epoch: 1, trainLoss: 2.3, trainAccuracy: 0.1, testAccuracy: 0.12, examplesPerSecond: 9, trainSeconds: 3, epochSeconds: 4, step: 8, examplesSeen: 60000, elapsedSeconds: 4, numTensors: 121 },
  ],
  batchLosses: [{ epoch: 1, batch: 4, batchesPerEpoch: 8, step: 4, examplesSeen: 32, elapsedSeconds: 2, loss: 2.31 }],
  error: null,
  group: null,
  evaluation: null,
  dataset: null,
  startedFrom: null,
  ...overrides,
});

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

  it('refuses a stored option of the wrong kind rather than guessing', () => {
    const text = exportRuns([run('a', { config: { ...DEFAULT_CONFIG, batchNorm: true } })]).replace('"batchNorm": true', '"batchNorm": "yes"');
    expect(parseExportedRuns(text).ok).toBe(false);
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

describe('export and import', () => {
  it('round-trips runs exactly', () => {
    const runs = [run('a'), run('b', { name: 'bs "8"', status: 'failed', error: 'Loss became NaN' })];
    const text = exportRuns(runs);
    expect(JSON.parse(text).version).toBe(RUN_RECORD_VERSION);
    expect(parseExportedRuns(text)).toEqual({ ok: true, runs });
  });

  it.each([
    ['not JSON', '{"format": ', /not JSON/],
    ['foreign JSON', JSON.stringify({ hello: 'world' }), /not a run export of this playground/],
    ['a damaged run', JSON.stringify({ format: 'googlenet-playground-runs', runs: [{ id: 'x' }] }), /Run 1 in this file is damaged/],
    ['a run with a bad metric', exportRuns([run('a')]).replace('"trainLoss": 2.3', '"trainLoss": "high"'), /damaged/],
  ])('refuses %s with a message', (_, text, message) => {
    const result = parseExportedRuns(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });

  it('writes a CSV row per run with its settings and latest figures', () => {
    const csv = runsToCsv([run('a', { name: 'say "hi"' })]).trim().split('\n');
    expect(csv[0]).toBe(
      'name,status,backend,epochs_done,batchSize,learningRate,epochs,trainSubset,testSubset,resolution,width,seed,' +
        'model,auxHeads,dropout,batchNorm,activation,factorize5x5,poolBranch,init,optimizer,weightDecay,schedule,stepSize,' +
        'gamma,warmupEpochs,cropPadding,flip,train_loss,train_acc,test_acc,examples_per_sec',
    );
    expect(csv[1]).toBe(
      '"say ""hi""","done","webgpu",1,8,0.05,25,60000,10000,96,1,1,d2l,0,0,0,relu,0,max,xavier,sgd,0,constant,10,0.1,0,0,0,' +
        '2.3,0.1,0.12,9',
    );
  });
});
