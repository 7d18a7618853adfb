import type { RunRecord } from '../domain/run';
import { DB_NAME, DescribedStore } from './database';
import { RUN_RECORD_VERSION, migrateRun } from './runMigration';

/** Run history in IndexedDB: each record is written with the version of its shape and migrated when read. */
export class RunStore {
  private constructor(private readonly runs: DescribedStore<'runs'>) {}

  static async open(name = DB_NAME): Promise<RunStore> {
    return new RunStore(await DescribedStore.open('runs', name));
  }

  async save(run: RunRecord): Promise<void> {
    await this.runs.save({ ...run, version: RUN_RECORD_VERSION });
  }

  /** Deletes the run and its checkpoint together. */
  async delete(runId: string): Promise<void> {
    await this.runs.delete(runId);
  }

  /** One run as stored, migrated; undefined when it is not stored (deleted) or does not read as a run. */
  async load(runId: string): Promise<RunRecord | undefined> {
    return migrateRun(await this.runs.get(runId)) ?? undefined;
  }

  /** Every stored run, migrated; a run that was training when the page went away is marked interrupted. */
  async loadAll(): Promise<RunRecord[]> {
    const stored: unknown[] = await this.runs.list();
    return stored
      .map(migrateRun)
      .filter((run): run is RunRecord => run !== null)
      .map((run) => (run.status === 'running' ? { ...run, status: 'interrupted' as const } : run))
      .sort((a, b) => a.startedAt - b.startedAt);
  }

  close(): void {
    this.runs.close();
  }
}
