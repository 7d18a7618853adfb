import { FIELD_SPECS, type TrainConfig, crossFieldErrors } from '../config/trainConfig';
import { latestEpoch } from './runHistory';
import type { RunRecord } from '../domain/run';
import { batchesPerEpoch } from '../domain/training';

export const DEFAULT_LAB_BATCH_SIZES = '8, 32, 128, 512';
const MAX_LAB_RUNS = 8;

export type BatchSizesResult = { ok: true; sizes: number[] } | { ok: false; message: string };

/** Reads "8, 32, 128" into distinct ascending batch sizes that the chosen training subset can fill. */
export function parseBatchSizes(text: string, trainSubset: number): BatchSizesResult {
  const parts = text.split(/[\s,;]+/).filter((part) => part !== '');
  if (parts.length < 2) return { ok: false, message: 'Give at least two batch sizes to compare, e.g. "8, 32, 128, 512".' };
  const sizes: number[] = [];
  for (const part of parts) {
    const value = Number(part);
    if (!Number.isInteger(value) || value < 1) return { ok: false, message: `"${part}" is not a whole number of at least 1.` };
    if (value > FIELD_SPECS.batchSize.max) return { ok: false, message: `${value} is above the largest batch size, ${FIELD_SPECS.batchSize.max}.` };
    const problem = crossFieldErrors({ batchSize: value, trainSubset }).batchSize;
    if (problem !== undefined) return { ok: false, message: problem };
    if (sizes.includes(value)) return { ok: false, message: `Batch size ${value} is listed twice.` };
    sizes.push(value);
  }
  if (sizes.length > MAX_LAB_RUNS) return { ok: false, message: `At most ${MAX_LAB_RUNS} batch sizes at once.` };
  return { ok: true, sizes: sizes.sort((a, b) => a - b) };
}

/**
 * The linear scaling rule (Goyal et al., 2017): when the batch grows k-fold, so does the learning rate, which
 * keeps the expected change of the weights per example seen the same.
 */
export function scaledLearningRate(learningRate: number, referenceBatchSize: number, batchSize: number): number {
  return Number(((learningRate * batchSize) / referenceBatchSize).toPrecision(6));
}

/**
 * One config per batch size. Everything else (seed included) is shared, so every run starts from the same weights
 * and sees the images in the same order; the settings' own batch size is the reference of the scaling rule.
 */
export function labConfigs(base: TrainConfig, batchSizes: number[], linearScaling: boolean): TrainConfig[] {
  return batchSizes.map((batchSize) => ({
    ...base,
    batchSize,
    learningRate: linearScaling ? scaledLearningRate(base.learningRate, base.batchSize, batchSize) : base.learningRate,
  }));
}

export const updatesPerEpoch = (config: TrainConfig): number => batchesPerEpoch(config.trainSubset, config.batchSize);

/** Below this many updates batch norm's running averages (momentum 0.1) still carry over 0.9^50 ≈ 0.5 % of their start. */
const UNSETTLED_STEPS = 50;
const UNSETTLED_GAP = 0.25;

const ratio = (a: number, b: number) => String(a / b >= 10 ? Math.round(a / b) : Number((a / b).toFixed(1)));

/**
 * What a class should notice, written from the figures the lab measured: every sentence compares numbers taken from
 * the runs, so it can never contradict the charts beside it.
 */
export function labFindings(runs: RunRecord[]): string[] {
  const measured = runs.filter((run) => run.epochs.length > 0).sort((a, b) => a.config.batchSize - b.config.batchSize);
  if (measured.length < 2) return [];
  const findings: string[] = [];
  const smallest = measured[0]!;
  const largest = measured[measured.length - 1]!;
  findings.push(
    `Per epoch, batch ${smallest.config.batchSize} makes ${updatesPerEpoch(smallest.config)} weight updates and batch ` +
      `${largest.config.batchSize} makes ${updatesPerEpoch(largest.config)}: every run sees the same images, but the small ` +
      `batch takes ${ratio(updatesPerEpoch(smallest.config), updatesPerEpoch(largest.config))}× as many steps.`,
  );

  const commonEpoch = Math.min(...measured.map((run) => run.epochs.length));
  const lossAt = (run: RunRecord) => run.epochs[commonEpoch - 1]!.trainLoss;
  const byLoss = [...measured].sort((a, b) => lossAt(a) - lossAt(b));
  const lowest = byLoss[0]!;
  const highest = byLoss[byLoss.length - 1]!;
  const lossSentence =
    `After epoch ${commonEpoch}, the lowest training loss is batch ${lowest.config.batchSize}'s ` +
    `(${lossAt(lowest).toFixed(3)}) and the highest batch ${highest.config.batchSize}'s (${lossAt(highest).toFixed(3)})`;
  findings.push(
    lowest === smallest
      ? `${lossSentence}: more updates per epoch meant more learning per epoch.`
      : lowest.config.batchSize < highest.config.batchSize
        ? `${lossSentence}: smaller batches learned more per epoch, though not the very smallest — its noisier steps ` +
          'did not pay off at this learning rate.'
        : `${lossSentence}: here the larger batches learned more per epoch, the opposite of the d2l study — with this ` +
          'few epochs or this learning rate the small batches\' noisy steps did not pay off.',
  );

  const speed = (run: RunRecord) => latestEpoch(run)!.examplesPerSecond;
  const fastest = [...measured].sort((a, b) => speed(b) - speed(a))[0]!;
  findings.push(
    speed(largest) > speed(smallest)
      ? `Examples per second rose from ${speed(smallest).toFixed(1)} at batch ${smallest.config.batchSize} to ` +
          `${speed(largest).toFixed(1)} at batch ${largest.config.batchSize} (${ratio(speed(largest), speed(smallest))}×): ` +
          'a bigger batch gives the GPU more work per dispatch, so it spends less time waiting.'
      : `Examples per second did not rise with the batch size (${speed(smallest).toFixed(1)} at batch ` +
          `${smallest.config.batchSize}, ${speed(largest).toFixed(1)} at batch ${largest.config.batchSize}; fastest: ` +
          `batch ${fastest.config.batchSize}): this device is already busy at small batches, as a software or CPU ` +
          'backend is.',
  );

  const test = (run: RunRecord) => latestEpoch(run)!.testAccuracy;
  const unsettled = measured.filter(
    (run) =>
      run.config.batchNorm &&
      run.config.bnStats === 'running' &&
      latestEpoch(run)!.trainAccuracy - test(run) > UNSETTLED_GAP &&
      latestEpoch(run)!.step < UNSETTLED_STEPS,
  );
  for (const run of unsettled) {
    const last = latestEpoch(run)!;
    findings.push(
      `Batch ${run.config.batchSize}: ${(last.trainAccuracy * 100).toFixed(1)} % of its training images right, but ` +
        `${(test(run) * 100).toFixed(1)} % of the test images, after only ${last.step} updates. With batch norm the test ` +
        'pass uses running averages of the batch statistics, which move 10 % towards each new batch: so few updates ' +
        'leave them far from the data, another cost of large batches (recomputing them over the training images ' +
        'before each test pass, bnstats=recompute, removes it).',
    );
  }
  const best = [...measured].sort((a, b) => test(b) - test(a))[0]!;
  findings.push(
    `Best test accuracy so far: batch ${best.config.batchSize}, ${(test(best) * 100).toFixed(1)} %. Switch the x-axis ` +
      'to wall-clock seconds to see which batch size learns fastest per second rather than per epoch.',
  );
  return findings;
}
