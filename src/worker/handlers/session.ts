import type * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../../config/trainConfig';
import type { ImageDataset } from '../../data/dataset';
import type { Calibration } from '../../domain/machineRates';
import type { Checkpoint, EpochReport } from '../../domain/training';
import type { Stage, TransferCheck } from '../../domain/transfer';
import { buildRunNetwork, loadLayerWeights } from '../../model/googlenet';
import { CALIBRATED_NETWORK, PRICED_NETWORKS, forwardImagesPerEpoch, forwardPassesPerEpoch } from '../../experiments/estimate';
import { calibrate, macsPerExample } from '../../train/calibrate';
import { LIVE_LOSS_INTERVAL_MS, runTraining } from '../../train/engine';
import { measureTransfer } from '../../train/transfer';
import { networkOf } from '../../train/modelFile';
import { memoryUse } from '../backend';
import type { FromWorker, RunResult, StartRun } from '../protocol';
import type { Datasets } from './datasets';
import type { Device } from './device';
import type { Models } from './models';
import type { CheckpointRecords } from './stores';

/** What a run streams to the page while it trains. */
export type RunEvent = Extract<FromWorker, { type: 'warmup' | 'batch' | 'epoch' | 'evaluation' | 'rate' }>;

/**
 * The checkpoint a resumed run continues from. It is written before its epoch is reported, so the page may have
 * missed that one report (sent again here), never more.
 */
async function checkpointToResume(
  checkpoints: CheckpointRecords,
  runId: string,
  epochsRecorded: number,
  emit: (event: RunEvent) => void,
): Promise<Checkpoint> {
  const checkpoint = await checkpoints.load(runId);
  if (checkpoint === undefined) throw new Error('This run has no saved checkpoint, so it cannot be resumed.');
  if (checkpoint.epoch === epochsRecorded + 1) emit({ type: 'epoch', runId, report: checkpoint.report });
  else if (checkpoint.epoch !== epochsRecorded) {
    throw new Error(`The checkpoint is of epoch ${checkpoint.epoch}, but the history has ${epochsRecorded} epochs.`);
  }
  return checkpoint;
}

/** How far fine-tuning moved the weights: the run's seed rebuilds the new classifier's starting weights. */
function checkTransfer(
  config: TrainConfig,
  shape: { classCount: number; channels: number },
  source: tf.LayersModel,
  finalWeights: Float32Array[],
  freezeThrough: Stage | null,
): TransferCheck {
  const [initial, tuned] = [buildRunNetwork(config, shape), buildRunNetwork(config, shape)];
  try {
    loadLayerWeights(tuned, finalWeights, 'The fine-tuned checkpoint does not fit its network.');
    return measureTransfer(source, initial, tuned, freezeThrough);
  } finally {
    initial.dispose();
    tuned.dispose();
  }
}

/** What an epoch measured, for the page to refine this backend's calibration with. */
function rateEvent(runId: string, config: TrainConfig, dataset: ImageDataset, macs: number, report: EpochReport): RunEvent {
  const images = { ...config, trainSubset: Math.min(config.trainSubset, dataset.train.count), testSubset: Math.min(config.testSubset, dataset.test.count) };
  return {
    type: 'rate',
    runId,
    sample: {
      macsPerExample: macs,
      batchSize: config.batchSize,
      examplesPerSecond: report.examplesPerSecond,
      forwardPasses: forwardPassesPerEpoch(images),
      forwardExamples: forwardImagesPerEpoch(images),
      forwardSeconds: report.epochSeconds - report.trainSeconds,
    },
  };
}

/**
 * Trains one run at a time: fresh, resumed from its checkpoint, or fine-tuned from a saved model; between runs,
 * calibrates. A run never waits for a calibration: it stops it, and the page asks again later.
 */
export class TrainingSession {
  private active: { runId: string; controller: AbortController } | null = null;
  private calibrating: { controller: AbortController; done: Promise<unknown> } | null = null;

  constructor(
    private readonly datasets: Datasets,
    private readonly models: Models,
    private readonly checkpoints: () => Promise<CheckpointRecords>,
  ) {}

  async train(run: StartRun, device: Device, emit: (event: RunEvent) => void): Promise<RunResult> {
    if (this.active !== null) throw new Error('Another run is still in progress in this worker.');
    const { runId, config, transfer } = run;
    const controller = new AbortController();
    this.active = { runId, controller };
    let source: tf.LayersModel | undefined;
    try {
      await this.stopCalibrating();
      const dataset = await this.datasets.datasetFor(run.datasetId);
      const macs = macsPerExample(config, dataset);
      const store = await this.checkpoints();
      const resume = run.resume && (await checkpointToResume(store, runId, run.resume.epochsRecorded, emit));
      // A resumed fine-tuning run continues from its own checkpoint: only its freezing still applies.
      if (transfer?.modelId !== undefined && resume === undefined) {
        const saved = await this.models.load(transfer.modelId);
        source = networkOf(saved.info, saved.weights);
      }
      const outcome = await runTraining({
        config,
        data: dataset,
        resume,
        transfer: transfer && { source, freezeThrough: transfer.freezeThrough, inputChannels: transfer.inputChannels },
        untilEpoch: run.untilEpoch,
        onCheckpoint: (checkpoint) => store.save(runId, checkpoint),
        fence: device.fence,
        maxBufferBytes: device.maxBufferBytes,
        signal: controller.signal,
        liveIntervalMs: LIVE_LOSS_INTERVAL_MS,
        callbacks: {
          onWarmup: (seconds) => emit({ type: 'warmup', runId, seconds }),
          onBatchLoss: (sample) => emit({ type: 'batch', runId, sample }),
          onEpoch: (report) => {
            emit({ type: 'epoch', runId, report });
            emit(rateEvent(runId, config, dataset, macs, report));
          },
          onEvaluation: (evaluation) => emit({ type: 'evaluation', runId, evaluation }),
        },
      });
      return { outcome, memory: memoryUse(), transferCheck: await this.transferCheck(run, dataset, source) };
    } finally {
      source?.dispose();
      this.active = null;
    }
  }

  /** Stops a calibration in progress, if any, and waits until it has let go of the device. */
  async stopCalibrating(): Promise<void> {
    if (this.calibrating === null) return;
    this.calibrating.controller.abort();
    await this.calibrating.done.catch(() => {});
  }

  /** Times this backend on Fashion-MNIST (calibrate.ts) while no run trains. */
  async calibrate(device: Device): Promise<Calibration> {
    if (this.active !== null || this.calibrating !== null) throw new Error('The worker is busy; calibrate once it is idle.');
    const controller = new AbortController();
    const done = this.datasets
      .datasetFor(undefined)
      .then((data) => calibrate(CALIBRATED_NETWORK, PRICED_NETWORKS, { data, fence: device.fence, signal: controller.signal }));
    this.calibrating = { controller, done };
    try {
      return await done;
    } finally {
      this.calibrating = null;
    }
  }

  /** Asks the run to stop after its current batch; false when that run is not training here. */
  stop(runId: string): boolean {
    if (this.active?.runId !== runId) return false;
    this.active.controller.abort();
    return true;
  }

  /** The device is gone: the run cannot go on. */
  abort(): void {
    this.active?.controller.abort();
  }

  private async transferCheck(run: StartRun, dataset: ImageDataset, source: tf.LayersModel | undefined): Promise<TransferCheck | null> {
    if (source === undefined || run.transfer === undefined) return null;
    const final = await (await this.checkpoints()).load(run.runId);
    if (final === undefined) return null;
    const shape = { classCount: dataset.classes.length, channels: run.transfer.inputChannels };
    return checkTransfer(run.config, shape, source, final.weights, run.transfer.freezeThrough);
  }
}
