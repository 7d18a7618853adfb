import type { RunLocks } from './runLock';

interface Waiter {
  name: string;
  grant(): void;
}

/**
 * One origin's Web Locks, as the spec describes them for exclusive locks (the only mode the run locks use), for Node,
 * which has no `navigator.locks`: a lock is granted when nobody holds it and nobody waits ahead; `ifAvailable` gets
 * null instead of waiting; the lock is held until the callback's promise settles; an aborted wait rejects with an
 * AbortError and leaves the queue.
 */
export class FakeLocks implements RunLocks {
  private readonly held = new Set<string>();
  private waiting: Waiter[] = [];

  request<T>(name: string, callback: LockGrantedCallback<T>): Promise<Awaited<T>>;
  request<T>(name: string, options: LockOptions, callback: LockGrantedCallback<T>): Promise<Awaited<T>>;
  request<T>(name: string, second: LockOptions | LockGrantedCallback<T>, third?: LockGrantedCallback<T>): Promise<Awaited<T>> {
    const [options, callback] = typeof second === 'function' ? [{}, second] : [second, third!];
    const { ifAvailable = false, signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const free = !this.held.has(name) && !this.waiting.some((waiter) => waiter.name === name);
    if (free) return this.hold(name, callback);
    if (ifAvailable) return this.call(callback, null);
    return new Promise<Awaited<T>>((resolve, reject) => {
      const waiter: Waiter = { name, grant: () => this.hold(name, callback).then(resolve, reject) };
      this.waiting.push(waiter);
      signal?.addEventListener('abort', () => {
        if (!this.waiting.includes(waiter)) return;
        this.waiting = this.waiting.filter((other) => other !== waiter);
        reject(signal.reason);
      });
    });
  }

  query(): Promise<LockManagerSnapshot> {
    const info = (name: string): LockInfo => ({ name, mode: 'exclusive', clientId: 'fake' });
    return Promise.resolve({ held: [...this.held].map(info), pending: this.waiting.map(({ name }) => info(name)) });
  }

  /** As the browser does, the callback runs after the request returns, and what it throws rejects the request. */
  private async call<T>(callback: LockGrantedCallback<T>, lock: Lock | null): Promise<Awaited<T>> {
    await Promise.resolve();
    return await callback(lock);
  }

  private async hold<T>(name: string, callback: LockGrantedCallback<T>): Promise<Awaited<T>> {
    this.held.add(name);
    try {
      return await this.call(callback, { name, mode: 'exclusive' });
    } finally {
      this.held.delete(name);
      const next = this.waiting.find((waiter) => waiter.name === name);
      if (next !== undefined) {
        this.waiting = this.waiting.filter((waiter) => waiter !== next);
        next.grant();
      }
    }
  }
}
