import type { TrainConfig } from '../config/trainConfig';
import type { BenchCase, BenchRow, BenchSettings } from './benchmark';
import type { EpochRow } from './epochBench';
import type { ProfileRow } from './profile';
import type { BackendName } from '../domain/backend';
import type { BatchLossSample, EpochReport } from '../domain/training';

/** Messages between the benchmark page and its worker; types only, imported by both sides. */

export type ToBenchWorker =
  | { type: 'benchmark'; cases: BenchCase[]; settings: BenchSettings; dataBaseUrl: string }
  | { type: 'loop'; cases: BenchCase[]; backend: BackendName; dataBaseUrl: string }
  | { type: 'profile'; cases: BenchCase[]; backend: BackendName; dataBaseUrl: string }
  | { type: 'reproduce'; config: TrainConfig; dataBaseUrl: string };

export type FromBenchWorker =
  | { type: 'row'; row: BenchRow }
  | { type: 'epoch-row'; row: EpochRow }
  | { type: 'profile'; row: ProfileRow }
  /** The backend a reproduction trains on, in words (adapter vendor · architecture · description). */
  | { type: 'backend'; adapter: string }
  | { type: 'warmup'; seconds: number }
  | { type: 'batch'; sample: BatchLossSample }
  | { type: 'epoch'; report: EpochReport }
  | { type: 'done' }
  | { type: 'error'; message: string };

/** What a reproduction's worker says besides its epochs: the adapter, the first step's time, the live loss. */
export type ReproductionNote = Extract<FromBenchWorker, { type: 'backend' | 'warmup' | 'batch' }>;
