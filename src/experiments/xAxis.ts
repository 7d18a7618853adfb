import type { BatchLossSample, EpochReport } from '../domain/training';

/** Per epoch small batches look better; per second large ones may win: the switch shows both. */
export type XAxis = 'epoch' | 'step' | 'examples' | 'seconds';

export const X_AXIS_LABELS: Record<XAxis, string> = {
  epoch: 'epoch',
  step: 'update step',
  examples: 'examples seen',
  seconds: 'wall-clock seconds',
};

export function epochX(report: EpochReport, axis: XAxis): number {
  switch (axis) {
    case 'epoch':
      return report.epoch;
    case 'step':
      return report.step;
    case 'examples':
      return report.examplesSeen;
    case 'seconds':
      return report.elapsedSeconds;
  }
}

export function sampleX(sample: BatchLossSample, axis: XAxis): number {
  switch (axis) {
    case 'epoch':
      return sample.epoch - 1 + sample.batch / sample.batchesPerEpoch;
    case 'step':
      return sample.step;
    case 'examples':
      return sample.examplesSeen;
    case 'seconds':
      return sample.elapsedSeconds;
  }
}
