import { describe, expect, it } from 'vitest';
import { FakeLocks } from './lockFixture';
import { run } from './runFixture';
import { claimRun, heldRunIds, resumeControl, runLockName, seenFromHere, watchRunLocks, whenReleased } from './runLock';
import { DEFAULT_CONFIG } from '../config/trainConfig';

/** A lock goes back, like the browser's, once the promise its holder returned has settled: a few turns later. */
const afterRelease = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Takes the run's lock and lets it go: fails when a tab holds it. */
async function expectFree(locks: FakeLocks, runId: string): Promise<void> {
  const release = await claimRun(runId, locks);
  expect(release).not.toBeNull();
  release!();
}

const settled = async <T,>(promise: Promise<T>): Promise<boolean> => {
  let done = false;
  void promise.then(() => (done = true), () => (done = true));
  await afterRelease();
  return done;
};

describe('run locks between tabs', () => {
  it('lets one tab hold a run: another is refused until it lets go', async () => {
    const locks = new FakeLocks();
    const release = await claimRun('run-1', locks);
    expect(release).not.toBeNull();
    expect(await claimRun('run-1', locks)).toBeNull();
    const other = await claimRun('run-2', locks);
    expect(other).not.toBeNull();

    release!();
    await afterRelease();
    await expectFree(locks, 'run-1');
    other!();
  });

  it('names the runs whose locks are held, and only those', async () => {
    const locks = new FakeLocks();
    const releases = await Promise.all([claimRun('run-a', locks), claimRun('run-b', locks)]);
    void locks.request('someone-else', { ifAvailable: true }, () => new Promise(() => {}));
    expect(await heldRunIds(locks)).toEqual(new Set(['run-a', 'run-b']));
    releases[0]!();
    await afterRelease();
    expect(await heldRunIds(locks)).toEqual(new Set(['run-b']));
    releases[1]!();
  });

  it('waits for a run until its tab lets it go, and lets it go again at once', async () => {
    const locks = new FakeLocks();
    const release = await claimRun('run-1', locks);
    const released = whenReleased('run-1', new AbortController().signal, locks);
    expect(await settled(released)).toBe(false);
    expect(await claimRun('run-1', locks)).toBeNull();

    release!();
    await released;
    await expectFree(locks, 'run-1');
  });

  it('stops waiting when asked, and leaves the lock to whoever asks next', async () => {
    const locks = new FakeLocks();
    const release = await claimRun('run-1', locks);
    const controller = new AbortController();
    const waiting = whenReleased('run-1', controller.signal, locks);
    controller.abort();
    await expect(waiting).rejects.toThrow();
    expect((await locks.query()).pending).toEqual([]);
    release!();
    await afterRelease();
    expect(await heldRunIds(locks)).toEqual(new Set());
  });

  it('guards nothing where the browser has no locks (an insecure context): every claim is granted', async () => {
    expect(await claimRun('run-1', undefined)).toBeTypeOf('function');
    expect(runLockName('run-1')).toBe('googlenet-playground:run:run-1');
  });
});

describe('a run as another tab leaves it', () => {
  const unfinished = (status: 'running' | 'interrupted' | 'stopped') =>
    run('run-1', { status, config: { ...DEFAULT_CONFIG, epochs: 3 } });

  it('shows a run another tab trains as running, with a resume that waits for that tab', () => {
    for (const status of ['running', 'interrupted', 'stopped'] as const) {
      expect(seenFromHere(unfinished(status), 'held-elsewhere').status).toBe('running');
      expect(resumeControl(unfinished(status), 'held-elsewhere')).toBe('held-elsewhere');
    }
  });

  it('shows a run left running by a tab that closed as interrupted, and resumable', () => {
    expect(seenFromHere(unfinished('running'), 'free').status).toBe('interrupted');
    expect(resumeControl(unfinished('running'), 'free')).toBe('available');
  });

  it('shows a run as last read while its lock is unknown', () => {
    expect(seenFromHere(unfinished('running'), undefined).status).toBe('running');
    expect(resumeControl(unfinished('running'), undefined)).toBe('none');
    expect(resumeControl(unfinished('stopped'), undefined)).toBe('available');
  });

  it('offers no resume for a run with no epochs left, wherever it trains', () => {
    const finishedEpochs = run('run-1', { status: 'running', config: { ...DEFAULT_CONFIG, epochs: 1 } });
    expect(resumeControl(finishedEpochs, 'held-elsewhere')).toBe('none');
    expect(resumeControl(finishedEpochs, 'free')).toBe('none');
  });
});

describe('watching the runs another tab holds', () => {
  it('tells which runs are held, then each release as it comes, and nothing after the watch ends', async () => {
    const locks = new FakeLocks();
    const otherTab = await claimRun('run-1', locks);
    const learnt: string[] = [];
    const controller = new AbortController();
    const watching = watchRunLocks(['run-1', 'run-2'], controller.signal, locks, (runId, state) => learnt.push(`${runId} ${state}`));
    await afterRelease();
    expect(learnt).toEqual(['run-1 held-elsewhere', 'run-2 free']);

    otherTab!();
    await watching;
    expect(learnt).toEqual(['run-1 held-elsewhere', 'run-2 free', 'run-1 free']);
    await expectFree(locks, 'run-1');
  });

  it('gives up its place in the queue when the watch ends, and learns nothing more', async () => {
    const locks = new FakeLocks();
    const otherTab = await claimRun('run-1', locks);
    const learnt: string[] = [];
    const controller = new AbortController();
    const watching = watchRunLocks(['run-1'], controller.signal, locks, (runId, state) => learnt.push(`${runId} ${state}`));
    await afterRelease();
    controller.abort();
    await watching;
    expect((await locks.query()).pending).toEqual([]);
    otherTab!();
    await afterRelease();
    expect(learnt).toEqual(['run-1 held-elsewhere']);
  });
});
