import type { TrainConfig } from '../config/trainConfig';
import type { ImageDataset } from '../data/dataset';
import { type DeviceFence, LIVE_LOSS_INTERVAL_MS, type TrainCallbacks, runTraining } from '../train/engine';

/**
 * One run of `npm run reproduce`, in Node or in the benchmark's worker: the app's training loop as the worker runs
 * it (live-loss reads, fences, the buffer check), so the figures are the app's own. The live loss goes to the
 * callbacks too: a run takes minutes, and its progress is worth showing.
 */
export async function trainForReproduction(
  config: TrainConfig,
  data: ImageDataset,
  device: { fence: DeviceFence; maxBufferBytes?: number },
  callbacks: TrainCallbacks,
): Promise<void> {
  await runTraining({
    config,
    data,
    signal: new AbortController().signal,
    fence: device.fence,
    liveIntervalMs: LIVE_LOSS_INTERVAL_MS,
    maxBufferBytes: device.maxBufferBytes,
    callbacks,
  });
}
