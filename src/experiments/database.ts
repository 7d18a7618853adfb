import { type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames, openDB } from 'idb';
import type { LabelledImages } from '../data/dataset';
import type { DatasetInfo } from '../domain/dataset';
import type { RunRecord } from '../domain/run';
import type { SavedModelInfo } from '../domain/savedModel';
import type { Checkpoint } from '../domain/training';
import { uniqueId } from './ids';

/**
 * One database for the page and the worker, and for every tab of the app. Each kind of item is a description the
 * page lists, in one object store, and a payload kept apart in another, which only the worker reads: runs and their
 * latest checkpoint (the page writes runs, the worker checkpoints), imported datasets and their pixels, saved models
 * and their weights.
 */
export interface PlaygroundDb extends DBSchema {
  runs: { key: string; value: RunRecord & { version: number } };
  checkpoints: { key: string; value: Checkpoint & { runId: string } };
  datasets: { key: string; value: DatasetInfo };
  datasetImages: { key: string; value: { id: string } & DatasetImages };
  models: { key: string; value: SavedModelInfo };
  modelWeights: { key: string; value: { id: string } & ModelWeights };
}

export interface DatasetImages {
  train: LabelledImages;
  test: LabelledImages;
}

export interface ModelWeights {
  weights: Float32Array[];
}

export const DB_NAME = 'googlenet-playground';
/** 1: runs; 2: checkpoints; 3: imported datasets; 4: saved models. */
export const DB_VERSION = 4;

/** The payload store of each description store, and the key its records are stored under. */
const PAYLOADS = {
  runs: { store: 'checkpoints', key: 'runId' },
  datasets: { store: 'datasetImages', key: 'id' },
  models: { store: 'modelWeights', key: 'id' },
} as const;

export type DescribedName = keyof typeof PAYLOADS;
type PayloadName<Name extends DescribedName> = (typeof PAYLOADS)[Name]['store'];
export type Description<Name extends DescribedName> = PlaygroundDb[Name]['value'];
/** A payload as its owner hands it over: the stored record without the key, which the description gives. */
export type Payload<Name extends DescribedName> = Omit<PlaygroundDb[PayloadName<Name>]['value'], (typeof PAYLOADS)[Name]['key']>;

/**
 * What one context of the app tells the others about the database, on a BroadcastChannel every tab and worker of
 * the origin hears: a write (so a list shows it without a manual refresh, in this tab and in any other), another
 * tab opening a newer database version (this connection was closed so that tab's upgrade could proceed: this tab
 * must reload to keep saving), or this tab's upgrade waiting for other tabs to close their older connections.
 */
export type StorageNotice =
  | { type: 'changed'; store: DescribedName; id: string; writer: string }
  | { type: 'superseded' }
  | { type: 'blocked' };

const STORAGE_CHANNEL = 'googlenet-playground-storage';

/** Tells the notices of this context's own writes apart from another tab's or worker's. */
export const THIS_WRITER = uniqueId('writer');

function announce(notice: StorageNotice): void {
  if (typeof BroadcastChannel === 'undefined') return;
  // A channel of its own per notice: the listeners of this very context hear it too, and nothing stays open.
  const channel = new BroadcastChannel(STORAGE_CHANNEL);
  channel.postMessage(notice);
  channel.close();
}

/** Calls back on every notice until the returned function is called. */
export function listenToStorage(onNotice: (notice: StorageNotice) => void): () => void {
  if (typeof BroadcastChannel === 'undefined') return () => undefined;
  const channel = new BroadcastChannel(STORAGE_CHANNEL);
  channel.onmessage = (event: MessageEvent<StorageNotice>) => onNotice(event.data);
  return () => channel.close();
}

export const SUPERSEDED_MESSAGE =
  'This app was opened in a newer version in another tab, which needs the storage to itself: reload this tab to keep saving.';
export const BLOCKED_MESSAGE =
  'Storage is waiting for other tabs of this app, which hold an older version of it open: close them (or reload them) to continue.';

export async function openPlaygroundDb(name = DB_NAME): Promise<IDBPDatabase<PlaygroundDb>> {
  const database: IDBPDatabase<PlaygroundDb> = await openDB<PlaygroundDb>(name, DB_VERSION, {
    upgrade(upgrading, oldVersion) {
      if (oldVersion < 1) upgrading.createObjectStore('runs', { keyPath: 'id' });
      if (oldVersion < 2) upgrading.createObjectStore('checkpoints', { keyPath: 'runId' });
      if (oldVersion < 3) {
        upgrading.createObjectStore('datasets', { keyPath: 'id' });
        upgrading.createObjectStore('datasetImages', { keyPath: 'id' });
      }
      if (oldVersion < 4) {
        upgrading.createObjectStore('models', { keyPath: 'id' });
        upgrading.createObjectStore('modelWeights', { keyPath: 'id' });
      }
    },
    blocked: () => announce({ type: 'blocked' }),
    // Holding on would stall the other tab's upgrade until this one closes; letting go costs this tab its saving.
    blocking: () => {
      database.close();
      announce({ type: 'superseded' });
    },
  });
  return database;
}

/** The browser's refusal to store more, in words a user can act on; other failures pass as they are. */
function storageError(error: unknown): Error {
  if (error instanceof Error || error instanceof DOMException) {
    if (error.name === 'QuotaExceededError') {
      return new Error(
        "The browser refused to store more: this site's storage quota is full. Delete runs, datasets or saved models to free space.",
      );
    }
    return error;
  }
  return new Error(String(error));
}

/**
 * The descriptions of one kind of item and their payloads, written and deleted together in one transaction. Every
 * write is announced to the other contexts; a write the browser refuses fails with the reason.
 */
export class DescribedStore<Name extends DescribedName> {
  private readonly payloadStore: PayloadName<Name>;
  private readonly payloadKey: (typeof PAYLOADS)[Name]['key'];

  private constructor(
    private readonly db: IDBPDatabase<PlaygroundDb>,
    private readonly name: Name,
  ) {
    this.payloadStore = PAYLOADS[name].store;
    this.payloadKey = PAYLOADS[name].key;
  }

  static async open<Name extends DescribedName>(name: Name, databaseName = DB_NAME): Promise<DescribedStore<Name>> {
    return new DescribedStore(await openPlaygroundDb(databaseName), name);
  }

  /** Writes a description, and its payload with it when one is given. */
  async save(description: Description<Name>, payload?: Payload<Name>): Promise<void> {
    const stores = payload === undefined ? [this.name] : [this.name, this.payloadStore];
    await this.write(stores, (transaction) => [
      transaction.objectStore(this.name).put(description),
      ...(payload === undefined ? [] : [this.putPayload(transaction, description.id, payload)]),
    ]);
    announce({ type: 'changed', store: this.name, id: description.id, writer: THIS_WRITER });
  }

  /** Replaces the payload alone (a run's checkpoint, written at each epoch by the worker while the page writes the run). */
  async savePayload(id: string, payload: Payload<Name>): Promise<void> {
    await this.write([this.payloadStore], (transaction) => [this.putPayload(transaction, id, payload)]);
  }

  async list(): Promise<Description<Name>[]> {
    return this.db.getAll(this.name);
  }

  async get(id: string): Promise<Description<Name> | undefined> {
    return this.db.get(this.name, id);
  }

  async loadPayload(id: string): Promise<Payload<Name> | undefined> {
    const stored = await this.db.get(this.payloadStore, id);
    if (stored === undefined) return undefined;
    const { [this.payloadKey]: _key, ...payload } = stored as unknown as Record<string, unknown>;
    return payload as Payload<Name>;
  }

  /** The description with its payload; undefined unless both are stored. */
  async load(id: string): Promise<{ description: Description<Name>; payload: Payload<Name> } | undefined> {
    const [description, payload] = await Promise.all([this.get(id), this.loadPayload(id)]);
    return description && payload && { description, payload };
  }

  async delete(id: string): Promise<void> {
    await this.write([this.name, this.payloadStore], (transaction) => [
      transaction.objectStore(this.name).delete(id),
      transaction.objectStore(this.payloadStore).delete(id),
    ]);
    announce({ type: 'changed', store: this.name, id, writer: THIS_WRITER });
  }

  close(): void {
    this.db.close();
  }

  private putPayload(transaction: WriteTransaction, id: string, payload: Payload<Name>) {
    const record = { ...payload, [this.payloadKey]: id } as unknown as PlaygroundDb[PayloadName<Name>]['value'];
    return transaction.objectStore(this.payloadStore).put(record);
  }

  /**
   * A refused write aborts the transaction: its requests fail with a bare AbortError while the transaction carries
   * the cause (QuotaExceededError), so the cause is what is thrown.
   */
  private async write(stores: StoreNames<PlaygroundDb>[], requests: (transaction: WriteTransaction) => Promise<unknown>[]) {
    const transaction = this.db.transaction(stores, 'readwrite');
    const settled = await Promise.allSettled([...requests(transaction), transaction.done]);
    const failure = settled.find((outcome) => outcome.status === 'rejected');
    if (failure !== undefined) throw storageError(transaction.error ?? failure.reason);
  }
}

type WriteTransaction = IDBPTransaction<PlaygroundDb, StoreNames<PlaygroundDb>[], 'readwrite'>;
