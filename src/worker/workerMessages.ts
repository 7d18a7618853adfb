import type { RunAction } from '../experiments/runHistory';
import type { BackendName } from '../domain/backend';
import type { DatasetInfo } from '../domain/dataset';
import type { RateSample } from '../domain/machineRates';
import { type AdapterDescription, type FromWorker, type NetworkSummary, assertNever } from './protocol';

export type BackendState =
  | { status: 'starting'; backend: BackendName }
  | { status: 'ready'; backend: BackendName; adapter: AdapterDescription | null }
  | { status: 'failed'; backend: BackendName; reason: string };

export type DataState =
  | { status: 'waiting' }
  | { status: 'loading'; loadedBytes: number; totalBytes: number | null }
  | { status: 'ready'; trainCount: number; testCount: number }
  | { status: 'failed'; message: string };

export type DatasetImportState =
  | { status: 'idle' }
  | { status: 'decoding'; decoded: number; total: number }
  | { status: 'done'; info: DatasetInfo }
  | { status: 'failed'; message: string };

/** The network the settings build, once measured; a failed measurement keeps its reason for the page to show. */
export type SummaryState =
  | { status: 'none' }
  | { status: 'ready'; summary: NetworkSummary }
  | { status: 'failed'; message: string };

type Answer = Extract<FromWorker, { type: 'result' | 'error' }>;

/** The events of one training run: each is already the run-history action it asks for. */
type RunEvent = Extract<FromWorker, { type: 'warmup' | 'batch' | 'epoch' | 'evaluation' }>;

/** What one message from the worker changes on the page. */
export type PageChange =
  | { target: 'requests'; answer: Answer }
  | { target: 'runs'; action: RunAction }
  | { target: 'data'; progress: { loadedBytes: number; totalBytes: number | null } }
  | { target: 'dataset-import'; state: DatasetImportState }
  /** An epoch's measured rate, to refine the backend's calibration. */
  | { target: 'rates'; sample: RateSample }
  /** The worker's device is gone: a fresh worker must take over. */
  | { target: 'replace-worker' };

const runAction = (event: RunEvent): RunAction => event;

/**
 * Routes a message from the worker, given the run the page believes is training. Pure, so the rules (which run
 * fails when the device is lost, which events reach the run history) are tested without a Worker.
 */
export function routeMessage(message: FromWorker, activeRunId: string | null): PageChange[] {
  switch (message.type) {
    case 'result':
    case 'error':
      return [{ target: 'requests', answer: message }];
    case 'data-progress':
      return [{ target: 'data', progress: { loadedBytes: message.loadedBytes, totalBytes: message.totalBytes } }];
    case 'dataset-progress':
      return [{ target: 'dataset-import', state: { status: 'decoding', decoded: message.decoded, total: message.total } }];
    case 'warmup':
    case 'batch':
    case 'epoch':
    case 'evaluation':
      return [{ target: 'runs', action: runAction(message) }];
    case 'rate':
      return [{ target: 'rates', sample: message.sample }];
    case 'device-failed': {
      const reason = `${message.reason}; a fresh worker is starting.`;
      const failed: PageChange[] = activeRunId === null ? [] : [{ target: 'runs', action: { type: 'failed', runId: activeRunId, message: reason } }];
      return [...failed, { target: 'replace-worker' }];
    }
    default:
      return assertNever(message);
  }
}

/** Download progress counts only while the data is loading: a late report must not undo the outcome. */
export function withDataProgress(current: DataState, progress: { loadedBytes: number; totalBytes: number | null }): DataState {
  return current.status === 'failed' || current.status === 'ready' ? current : { status: 'loading', ...progress };
}
