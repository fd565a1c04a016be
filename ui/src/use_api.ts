/** A page's one API read: loading, Prometheus's error text, or the data. */

import { useEffect, useState } from 'preact/hooks';
import { callAPI } from './api';

export type Fetched<T> = { state: 'loading' } | { state: 'error'; message: string } | { state: 'ready'; data: T };

export function useAPI<T>(path: string): Fetched<T> {
  const [fetched, setFetched] = useState<Fetched<T>>({ state: 'loading' });
  useEffect(() => {
    const controller = new AbortController();
    callAPI<T>(path, undefined, controller.signal)
      .then(({ data }) => setFetched({ state: 'ready', data }))
      .catch((err: Error) => {
        if (err.name !== 'AbortError') setFetched({ state: 'error', message: err.message });
      });
    return () => controller.abort();
  }, [path]);
  return fetched;
}
