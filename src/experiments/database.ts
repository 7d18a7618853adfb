import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import type { ImageDataset, LabelledImages } from '../data/dataset';
import type { DatasetInfo } from '../domain/dataset';
import type { RunRecord } from '../domain/run';
import type { SavedModelInfo } from '../domain/savedModel';
import type { Checkpoint } from '../domain/training';

/**
 * One database for the page and the worker: runs (small, written often), checkpoints (weights, per epoch), and
 * imported datasets, whose description the page lists and whose pixels only the worker reads.
 */
export interface PlaygroundDb extends DBSchema {
  runs: { key: string; value: RunRecord & { version: number } };
  checkpoints: { key: string; value: Checkpoint & { runId: string } };
  datasets: { key: string; value: DatasetInfo };
  datasetImages: { key: string; value: { id: string; train: LabelledImages; test: LabelledImages } };
  models: { key: string; value: SavedModelInfo };
  modelWeights: { key: string; value: { id: string; weights: Float32Array[] } };
}

export const DB_NAME = 'googlenet-playground';
/** 1: runs; 2: checkpoints; 3: imported datasets; 4: saved models. */
export const DB_VERSION = 4;

export function openPlaygroundDb(name = DB_NAME): Promise<IDBPDatabase<PlaygroundDb>> {
  return openDB<PlaygroundDb>(name, DB_VERSION, {
    upgrade(database, oldVersion) {
      if (oldVersion < 1) database.createObjectStore('runs', { keyPath: 'id' });
      if (oldVersion < 2) database.createObjectStore('checkpoints', { keyPath: 'runId' });
      if (oldVersion < 3) {
        database.createObjectStore('datasets', { keyPath: 'id' });
        database.createObjectStore('datasetImages', { keyPath: 'id' });
      }
      if (oldVersion < 4) {
        database.createObjectStore('models', { keyPath: 'id' });
        database.createObjectStore('modelWeights', { keyPath: 'id' });
      }
    },
  });
}

/**
 * The weights at the end of a run's latest finished epoch: a reload resumes an unfinished run from there, and a
 * finished run keeps its final weights for predictions until the run is deleted.
 */
export class CheckpointStore {
  private constructor(private readonly db: IDBPDatabase<PlaygroundDb>) {}

  static async open(name = DB_NAME): Promise<CheckpointStore> {
    return new CheckpointStore(await openPlaygroundDb(name));
  }

  async save(runId: string, checkpoint: Checkpoint): Promise<void> {
    await this.db.put('checkpoints', { ...checkpoint, runId });
  }

  async load(runId: string): Promise<Checkpoint | undefined> {
    const stored = await this.db.get('checkpoints', runId);
    if (stored === undefined) return undefined;
    const { runId: _, ...checkpoint } = stored;
    return checkpoint;
  }

  close(): void {
    this.db.close();
  }
}

/** Imported datasets: the page lists and removes them; the worker writes them and reads their pixels. */
export class DatasetStore {
  private constructor(private readonly db: IDBPDatabase<PlaygroundDb>) {}

  static async open(name = DB_NAME): Promise<DatasetStore> {
    return new DatasetStore(await openPlaygroundDb(name));
  }

  async save(info: DatasetInfo, images: { train: LabelledImages; test: LabelledImages }): Promise<void> {
    const transaction = this.db.transaction(['datasets', 'datasetImages'], 'readwrite');
    await Promise.all([
      transaction.objectStore('datasets').put(info),
      transaction.objectStore('datasetImages').put({ id: info.id, ...images }),
      transaction.done,
    ]);
  }

  async list(): Promise<DatasetInfo[]> {
    return (await this.db.getAll('datasets')).sort((a, b) => a.createdAt - b.createdAt);
  }

  async load(id: string): Promise<ImageDataset | undefined> {
    const [info, images] = await Promise.all([this.db.get('datasets', id), this.db.get('datasetImages', id)]);
    if (info === undefined || images === undefined) return undefined;
    return { classes: info.classes, side: info.side, channels: info.channels, train: images.train, test: images.test };
  }

  async delete(id: string): Promise<void> {
    const transaction = this.db.transaction(['datasets', 'datasetImages'], 'readwrite');
    await Promise.all([transaction.objectStore('datasets').delete(id), transaction.objectStore('datasetImages').delete(id), transaction.done]);
  }

  close(): void {
    this.db.close();
  }
}

/** Saved models: the page lists, renames and removes them; the worker writes them and reads their weights. */
export class ModelStore {
  private constructor(private readonly db: IDBPDatabase<PlaygroundDb>) {}

  static async open(name = DB_NAME): Promise<ModelStore> {
    return new ModelStore(await openPlaygroundDb(name));
  }

  async save(info: SavedModelInfo, weights: Float32Array[]): Promise<void> {
    const transaction = this.db.transaction(['models', 'modelWeights'], 'readwrite');
    await Promise.all([
      transaction.objectStore('models').put(info),
      transaction.objectStore('modelWeights').put({ id: info.id, weights }),
      transaction.done,
    ]);
  }

  async list(): Promise<SavedModelInfo[]> {
    return (await this.db.getAll('models')).sort((a, b) => a.createdAt - b.createdAt);
  }

  async load(id: string): Promise<{ info: SavedModelInfo; weights: Float32Array[] } | undefined> {
    const [info, stored] = await Promise.all([this.db.get('models', id), this.db.get('modelWeights', id)]);
    return info && stored ? { info, weights: stored.weights } : undefined;
  }

  async delete(id: string): Promise<void> {
    const transaction = this.db.transaction(['models', 'modelWeights'], 'readwrite');
    await Promise.all([transaction.objectStore('models').delete(id), transaction.objectStore('modelWeights').delete(id), transaction.done]);
  }

  close(): void {
    this.db.close();
  }
}
