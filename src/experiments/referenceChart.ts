import { type ReferenceFile, type ReferenceRun, referenceConfig, referencesFor } from './reference';
import type { XAxis } from './xAxis';
import type { RunRecord } from '../domain/run';
import { batchesPerEpoch } from '../domain/training';

/** One epoch of a reference run where the charts draw it, with the fields the run's own epoch points use. */
export interface ReferencePoint {
  x: number;
  loss: number;
  trainAcc: number;
  testAcc: number;
}

/**
 * The reference drawn behind a run: only a Fashion-MNIST run trained from scratch can be compared with one, since
 * the reference script neither reads imported images nor starts from saved weights.
 */
export function runReference(run: RunRecord, file: ReferenceFile | null): ReferenceRun | undefined {
  if (run.dataset !== null || run.startedFrom !== null) return undefined;
  return referencesFor(run.config, file)[0];
}

/**
 * Places a reference's epochs on an x-axis from its own settings, as the engine counts its steps (the last, smaller
 * batch is kept) and examples; on the seconds axis the time is the reference machine's, from its training speed
 * (its evaluation time is not in that speed, so the curve ends a little early compared with a run's elapsed time).
 */
export function referencePoints(run: ReferenceRun, axis: XAxis): ReferencePoint[] {
  const { trainSubset, batchSize } = referenceConfig(run);
  const stepsPerEpoch = batchesPerEpoch(trainSubset, batchSize);
  const x = (epoch: number): number => {
    switch (axis) {
      case 'epoch':
        return epoch;
      case 'step':
        return epoch * stepsPerEpoch;
      case 'examples':
        return epoch * trainSubset;
      case 'seconds':
        return (epoch * trainSubset) / run.examplesPerSecond;
    }
  };
  return run.epochs.map((e) => ({ x: x(e.epoch), loss: e.trainLoss, trainAcc: e.trainAccuracy, testAcc: e.testAccuracy }));
}
