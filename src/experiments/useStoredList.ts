import { useCallback, useEffect, useState } from 'react';

/** A store of described items the page lists and removes (imported datasets, saved models). */
export interface ListableStore<T> {
  list(): Promise<T[]>;
  delete(id: string): Promise<void>;
  close(): void;
}

export interface StoredList<T> {
  list: T[];
  problem: string | null;
  /** Reads the list again (after the worker stored something). */
  refresh(): void;
  remove(id: string): void;
}

/** Items kept in IndexedDB as the page shows them: their descriptions, never their payload. */
export function useStoredList<T>(open: () => Promise<ListableStore<T>>, what: string): StoredList<T> {
  const [list, setList] = useState<T[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    let cancelled = false;
    open()
      .then(async (store) => {
        const stored = await store.list();
        store.close();
        if (!cancelled) setList(stored);
      })
      .catch((error: Error) => setProblem(`${what} cannot be read: ${error.message}`));
    return () => {
      cancelled = true;
    };
  }, [open, what, version]);

  const refresh = useCallback(() => setVersion((v) => v + 1), []);
  const remove = useCallback(
    (id: string) => {
      open()
        .then(async (store) => {
          await store.delete(id);
          store.close();
          setVersion((v) => v + 1);
        })
        .catch((error: Error) => setProblem(`Removing failed: ${error.message}`));
    },
    [open],
  );
  return { list, problem, refresh, remove };
}
