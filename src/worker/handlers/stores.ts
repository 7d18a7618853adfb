import type { ImageDataset, LabelledImages } from '../../data/dataset';
import { type DatasetInfo, datasetShape } from '../../domain/dataset';
import { DB_NAME, DescribedStore } from '../../experiments/database';
import type { SavedModelInfo } from '../../domain/savedModel';
import type { Checkpoint } from '../../domain/training';

/**
 * The parts of the IndexedDB stores the handlers use. Each is opened on first use (a request that never needs one
 * never opens it), and the handlers reach them only through these, so a test gives them stores of its own.
 */
export interface CheckpointRecords {
  save(runId: string, checkpoint: Checkpoint): Promise<void>;
  load(runId: string): Promise<Checkpoint | undefined>;
}

export interface DatasetRecords {
  save(info: DatasetInfo, images: { train: LabelledImages; test: LabelledImages }): Promise<void>;
  load(id: string): Promise<ImageDataset | undefined>;
}

export interface ModelRecords {
  save(info: SavedModelInfo, weights: Float32Array[]): Promise<void>;
  load(id: string): Promise<{ info: SavedModelInfo; weights: Float32Array[] } | undefined>;
}

export interface WorkerStores {
  checkpoints(): Promise<CheckpointRecords>;
  datasets(): Promise<DatasetRecords>;
  models(): Promise<ModelRecords>;
}

/** Opens a store on its first use and hands the same one to every later request. */
export function openOnce<T>(open: () => Promise<T>): () => Promise<T> {
  let opened: Promise<T> | null = null;
  return () => (opened ??= open());
}

/** The app's IndexedDB stores (one database for the page and the worker), each opened on first use. */
export function indexedDbStores(databaseName = DB_NAME): WorkerStores {
  return {
    async checkpoints() {
      const store = await DescribedStore.open('runs', databaseName);
      return { save: (runId, checkpoint) => store.savePayload(runId, checkpoint), load: (runId) => store.loadPayload(runId) };
    },
    async datasets() {
      const store = await DescribedStore.open('datasets', databaseName);
      return {
        save: (info, images) => store.save(info, images),
        async load(id) {
          const stored = await store.load(id);
          if (stored === undefined) return undefined;
          return { ...datasetShape(stored.description), ...stored.payload };
        },
      };
    },
    async models() {
      const store = await DescribedStore.open('models', databaseName);
      return {
        save: (info, weights) => store.save(info, { weights }),
        async load(id) {
          const stored = await store.load(id);
          return stored && { info: stored.description, weights: stored.payload.weights };
        },
      };
    },
  };
}
