import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import type { Checkpoint } from '../train/engine';
import type { RunRecord } from './runHistory';

/** One database for the page and the worker: runs (small, written often) and checkpoints (weights, per epoch). */
export interface PlaygroundDb extends DBSchema {
  runs: { key: string; value: RunRecord & { version: number } };
  checkpoints: { key: string; value: Checkpoint & { runId: string } };
}

export const DB_NAME = 'googlenet-playground';

export function openPlaygroundDb(name = DB_NAME): Promise<IDBPDatabase<PlaygroundDb>> {
  return openDB<PlaygroundDb>(name, 2, {
    upgrade(database, oldVersion) {
      if (oldVersion < 1) database.createObjectStore('runs', { keyPath: 'id' });
      if (oldVersion < 2) database.createObjectStore('checkpoints', { keyPath: 'runId' });
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
