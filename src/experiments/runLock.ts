import { canResume } from './runHistory';
import type { RunRecord } from '../domain/run';

/** The part of the Web Locks API the run locks use; a parameter, so the unit tests can give their own. */
export type RunLocks = Pick<LockManager, 'request' | 'query'>;

/** What this tab knows of a run's lock: another tab holds it (trains the run), or no tab does. */
export type RunLockState = 'held-elsewhere' | 'free';

const LOCK_PREFIX = 'googlenet-playground:run:';

export const runLockName = (runId: string): string => `${LOCK_PREFIX}${runId}`;

export const HELD_ELSEWHERE_MESSAGE = 'Another tab is training this run — it can be resumed here once that tab stops or closes.';

/**
 * The browser's lock manager. It exists only in secure contexts (https, localhost): elsewhere each tab trains
 * unguarded, as before the locks.
 */
export const browserLocks = (): RunLocks | undefined => (typeof navigator === 'undefined' ? undefined : navigator.locks);

/**
 * Takes the run's lock if no tab holds it, and keeps it until the returned release is called; null when another tab
 * holds it. The browser releases it by itself when the tab closes or crashes, so a run is never locked for good.
 */
export function claimRun(runId: string, locks = browserLocks()): Promise<(() => void) | null> {
  if (locks === undefined) return Promise.resolve(() => {});
  return new Promise((resolve, reject) => {
    locks
      .request(runLockName(runId), { ifAvailable: true }, (lock) => {
        if (lock === null) return resolve(null);
        return new Promise<void>((release) => resolve(() => release()));
      })
      .catch(reject);
  });
}

/** The runs whose lock some tab holds, this one's included. */
export async function heldRunIds(locks: RunLocks): Promise<Set<string>> {
  const { held = [] } = await locks.query();
  return new Set(held.flatMap(({ name }) => (name?.startsWith(LOCK_PREFIX) ? [name.slice(LOCK_PREFIX.length)] : [])));
}

/**
 * Settles once no tab holds the run's lock; rejects with an AbortError when the signal aborts first. It waits in the
 * lock's queue, so it holds the lock for a moment when it is granted, and lets it go at once.
 */
export async function whenReleased(runId: string, signal: AbortSignal, locks: RunLocks): Promise<void> {
  await locks.request(runLockName(runId), { signal }, () => undefined);
}

/**
 * Says which of the runs some tab holds (this one's own runs are the caller's to leave out), then tells of each as
 * its tab lets it go, until the signal aborts. Locks announce nothing: holding the place in each one's queue is how
 * the release is heard.
 */
export async function watchRunLocks(
  runIds: readonly string[],
  signal: AbortSignal,
  locks: RunLocks,
  learn: (runId: string, state: RunLockState) => void,
): Promise<void> {
  const held = await heldRunIds(locks);
  if (signal.aborted) return;
  for (const runId of runIds) learn(runId, held.has(runId) ? 'held-elsewhere' : 'free');
  const releases = runIds
    .filter((runId) => held.has(runId))
    .map((runId) =>
      whenReleased(runId, signal, locks).then(
        () => signal.aborted || learn(runId, 'free'),
        (error: unknown) => {
          if (!signal.aborted) throw error;
        },
      ),
    );
  await Promise.all(releases);
}

/**
 * The run as this tab should show it. The lock is the truth about who trains a run: a run another tab holds is
 * running, whatever this tab last read of it (a reload marks the runs it finds running as interrupted), and a run
 * stored as running that no tab holds was left by a tab that closed.
 */
export function seenFromHere(run: RunRecord, lock: RunLockState | undefined): RunRecord {
  if (lock === 'held-elsewhere' && run.status !== 'running') return { ...run, status: 'running' };
  if (lock === 'free' && run.status === 'running') return { ...run, status: 'interrupted' };
  return run;
}

/** The resume control a run gets here: none, one to press, or one that waits for the tab training the run. */
export function resumeControl(run: RunRecord, lock: RunLockState | undefined): 'none' | 'available' | 'held-elsewhere' {
  if (!canResume(seenFromHere(run, lock === 'held-elsewhere' ? 'free' : lock))) return 'none';
  return lock === 'held-elsewhere' ? 'held-elsewhere' : 'available';
}

/** Runs another tab may be training: those it may have started, resumed or still be writing. */
export const mayBeHeldElsewhere = (run: RunRecord): boolean => run.status !== 'done' && run.status !== 'failed';
