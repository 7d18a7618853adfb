import { useEffect, useState } from 'react';
import { REFERENCE_PATH, type ReferenceFile, parseReferenceFile } from './reference';

export type ReferenceState = { status: 'loading' } | { status: 'ready'; file: ReferenceFile } | { status: 'failed'; message: string };

/** The PyTorch reference curves shipped in public/, fetched once from the app's own origin. */
export function useReferences(): ReferenceState {
  const [state, setState] = useState<ReferenceState>({ status: 'loading' });
  useEffect(() => {
    let cancelled = false;
    fetch(`${import.meta.env.BASE_URL}${REFERENCE_PATH}`)
      .then(async (response) => {
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        return parseReferenceFile(await response.json());
      })
      .then((file) => !cancelled && setState({ status: 'ready', file }))
      .catch((error: Error) => !cancelled && setState({ status: 'failed', message: `PyTorch reference curves unavailable: ${error.message}` }));
    return () => {
      cancelled = true;
    };
  }, []);
  return state;
}
