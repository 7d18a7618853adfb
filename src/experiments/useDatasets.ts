import { useCallback, useEffect, useState } from 'react';
import type { DatasetInfo } from '../data/datasetInfo';
import { DatasetStore } from './database';

export interface Datasets {
  list: DatasetInfo[];
  problem: string | null;
  /** Reads the stored list again (after the worker stored an import). */
  refresh(): void;
  remove(id: string): void;
}

/** The imported datasets stored in IndexedDB, as the page lists them (descriptions only, never the pixels). */
export function useDatasets(): Datasets {
  const [list, setList] = useState<DatasetInfo[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    let cancelled = false;
    DatasetStore.open()
      .then(async (store) => {
        const stored = await store.list();
        store.close();
        if (!cancelled) setList(stored);
      })
      .catch((error: Error) => setProblem(`Imported datasets cannot be read: ${error.message}`));
    return () => {
      cancelled = true;
    };
  }, [version]);

  const refresh = useCallback(() => setVersion((v) => v + 1), []);
  const remove = useCallback((id: string) => {
    DatasetStore.open()
      .then(async (store) => {
        await store.delete(id);
        store.close();
        setVersion((v) => v + 1);
      })
      .catch((error: Error) => setProblem(`Removing the dataset failed: ${error.message}`));
  }, []);
  return { list, problem, refresh, remove };
}
