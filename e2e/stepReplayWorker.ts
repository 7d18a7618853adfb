import * as tf from '@tensorflow/tfjs';
import { DEFAULT_CONFIG, type TrainConfig } from '../src/config/trainConfig';
import { syntheticDataset } from '../src/train/gradientTestCases';
import { TrainingSession } from '../src/train/session';
import { install } from '../src/train/trainingKernels';
import { webGpuPolicyFor } from '../src/worker/backend';
import { serveChecks } from './checkWorker';

/**
 * Runs in a worker for e2e/step-replay.spec.ts: the same steps on WebGPU with the step recorded once and replayed
 * (webgpuStepReplay.ts) and without, from the same weights on the same batches, including a last, smaller batch
 * (which is never replayed) and a learning rate that changes every step.
 */

export interface StepReplayCheck {
  name: string;
  lossesWithout: number[];
  lossesWith: number[];
  /** Largest difference of any weight after the steps. */
  weightDifference: number;
  /** Dispatches the replayed steps encoded, against the steps run through tfjs. */
  dispatchesWith: number;
  dispatchesWithout: number;
  leakedTensors: number;
}

const BASE: TrainConfig = {
  ...DEFAULT_CONFIG,
  resolution: 32,
  width: 0.25,
  batchSize: 8,
  learningRate: 0.05,
  schedule: 'cosine',
  epochs: 1,
  trainSubset: 36,
  testSubset: 8,
};

const CONFIGS: [string, TrainConfig][] = [
  ['plain SGD, cosine schedule', BASE],
  ['batch norm, momentum and weight decay', { ...BASE, batchNorm: true, optimizer: 'momentum', weightDecay: 5e-4 }],
  ['batch norm, crop and flip', { ...BASE, batchNorm: true, cropPadding: 2, flip: true }],
];

/** Four full batches and the last, smaller one (36 = 4 × 8 + 4). */
const BATCHES = [0, 1, 2, 3, 4].map((b) => Int32Array.from({ length: b < 4 ? 8 : 4 }, (_, i) => (7 * (b * 8 + i)) % 36));

function countDispatches(run: () => void): number {
  const pass = GPUComputePassEncoder.prototype;
  const original = pass.dispatchWorkgroups;
  let count = 0;
  pass.dispatchWorkgroups = function (this: GPUComputePassEncoder, ...args: Parameters<typeof original>) {
    count++;
    return original.apply(this, args);
  };
  try {
    run();
  } finally {
    pass.dispatchWorkgroups = original;
  }
  return count;
}

async function train(config: TrainConfig, replay: boolean, policy: ReturnType<typeof webGpuPolicyFor>) {
  install('webgpu', { ...policy, replay });
  const data = syntheticDataset(36, 28, 11);
  const session = new TrainingSession(config, data);
  const losses: number[] = [];
  let lastFullStepDispatches = 0;
  for (const [b, indices] of BATCHES.entries()) {
    let result: ReturnType<TrainingSession['trainStep']> | undefined;
    const dispatches = countDispatches(() => (result = session.trainStep(indices)));
    if (b === 3) lastFullStepDispatches = dispatches;
    losses.push((await result!.loss.data())[0]!);
    result!.dispose();
  }
  const { weights } = await session.readState();
  session.dispose();
  return { losses, weights, lastFullStepDispatches };
}

serveChecks<StepReplayCheck, unknown>(async (_, adapter, post) => {
  const policy = webGpuPolicyFor(adapter);
  for (const [name, config] of CONFIGS) {
    const before = tf.memory().numTensors;
    const without = await train(config, false, policy);
    const withReplay = await train(config, true, policy);
    const weightDifference = Math.max(...without.weights.map((w, i) => Math.max(...w.map((v, j) => Math.abs(v - withReplay.weights[i]![j]!)))));
    post({
      name,
      lossesWithout: without.losses,
      lossesWith: withReplay.losses,
      weightDifference,
      dispatchesWith: withReplay.lastFullStepDispatches,
      dispatchesWithout: without.lastFullStepDispatches,
      leakedTensors: tf.memory().numTensors - before,
    });
  }
  install('webgpu', policy);
});
