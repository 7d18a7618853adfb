import { useCallback, useEffect, useState } from 'react';
import { DescribedStore, type Description, listenToStorage } from './database';

type ListedName = 'datasets' | 'models';

export interface StoredList<T> {
  list: T[];
  problem: string | null;
  remove(id: string): void;
}

/**
 * Items kept in IndexedDB as the page shows them: their descriptions, never their payload, oldest first. The list is
 * read again whenever any context (this page, its worker, another tab) writes or removes one.
 */
export function useStoredList<Name extends ListedName>(name: Name, what: string): StoredList<Description<Name>> {
  const [list, setList] = useState<Description<Name>[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [version, setVersion] = useState(0);

  useEffect(
    () => listenToStorage((notice) => {
      if (notice.type === 'changed' && notice.store === name) setVersion((v) => v + 1);
    }),
    [name],
  );

  useEffect(() => {
    let cancelled = false;
    DescribedStore.open(name)
      .then(async (store) => {
        const stored = await store.list();
        store.close();
        if (!cancelled) setList(stored.sort((a, b) => a.createdAt - b.createdAt));
      })
      .catch((error: Error) => setProblem(`${what} cannot be read: ${error.message}`));
    return () => {
      cancelled = true;
    };
  }, [name, what, version]);

  const remove = useCallback(
    (id: string) => {
      DescribedStore.open(name)
        .then(async (store) => {
          await store.delete(id);
          store.close();
        })
        .catch((error: Error) => setProblem(`Removing failed: ${error.message}`));
    },
    [name],
  );
  return { list, problem, remove };
}
