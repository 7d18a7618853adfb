import { DEFAULT_CONFIG } from '../config/trainConfig';
import type { RunRecord } from '../domain/run';

/** A finished one-epoch run as the current build stores it, for the store, migration and exchange tests. */
export const run = (id: string, overrides: Partial<RunRecord> = {}): RunRecord => ({
  id,
  name: '',
  config: { ...DEFAULT_CONFIG, batchSize: 8 },
  backend: 'webgpu',
  adapter: 'google · swiftshader',
  status: 'done',
  startedAt: 1000,
  warmupSeconds: 12.5,
  epochs: [
    { epoch: 1, trainLoss: 2.3, trainAccuracy: 0.1, testAccuracy: 0.12, examplesPerSecond: 9, trainSeconds: 3, epochSeconds: 4, step: 8, examplesSeen: 60000, elapsedSeconds: 4, numTensors: 121 },
  ],
  batchLosses: [{ epoch: 1, batch: 4, batchesPerEpoch: 8, step: 4, examplesSeen: 32, elapsedSeconds: 2, loss: 2.31 }],
  error: null,
  group: null,
  evaluation: null,
  dataset: null,
  startedFrom: null,
  ...overrides,
});
