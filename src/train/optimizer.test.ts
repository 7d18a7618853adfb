import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type OptimizerName } from '../config/trainConfig';
import { SGD_UPDATE } from '../model/customKernels';
import { install } from './trainingKernels';
import { TrainingOptimizer, learningRateAt } from './optimizer';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('learningRateAt', () => {
  const base = { ...DEFAULT_CONFIG, learningRate: 0.1 };

  it('is the learning rate itself for a constant schedule', () => {
    expect([0, 7, 1000].map((step) => learningRateAt(base, step, 10))).toEqual([0.1, 0.1, 0.1]);
  });

  it("follows PyTorch's StepLR, stepped once per epoch", () => {
    // torch.optim.lr_scheduler.StepLR(step_size=2, gamma=0.5), one scheduler step per epoch: 0.1 0.1 0.05 0.05 0.025
    const config = { ...base, schedule: 'step' as const, stepSize: 2, gamma: 0.5 };
    const perEpoch = [0, 1, 2, 3, 4].map((epoch) => learningRateAt(config, epoch * 3 + 2, 3));
    expect(perEpoch.map((r) => Number(r.toFixed(8)))).toEqual([0.1, 0.1, 0.05, 0.05, 0.025]);
  });

  it("follows PyTorch's CosineAnnealingLR over the run's updates", () => {
    // CosineAnnealingLR(T_max=8) over 8 updates (2 epochs × 4 batches), from torch 1.13.
    const config = { ...base, schedule: 'cosine' as const, epochs: 2 };
    const rates = [0, 1, 2, 3, 4, 5, 6, 7].map((step) => Number(learningRateAt(config, step, 4).toFixed(8)));
    expect(rates).toEqual([0.1, 0.09619398, 0.08535534, 0.06913417, 0.05, 0.03086583, 0.01464466, 0.00380602]);
  });

  it('ramps linearly over the warm-up epochs, then hands over to the schedule', () => {
    const config = { ...base, warmupEpochs: 1 };
    expect([0, 1, 3, 4, 9].map((step) => learningRateAt(config, step, 4))).toEqual([0.025, 0.05, 0.1, 0.1, 0.1]);
  });
});

describe('TrainingOptimizer', () => {
  // torch.optim.{SGD, SGD(momentum=0.9), Adam}(lr=0.1, weight_decay=0.01), two steps from w = [0.5, -1, 2] with
  // gradients [0.1, 0.2, -0.3] then [-0.2, 0.05, 0.4] (float64, torch 1.13).
  const PYTORCH: Record<OptimizerName, number[]> = {
    sgd: [0.5090105, -1.022981, 1.985972],
    momentum: [0.4995605, -1.040081, 2.011172],
    adam: [0.43397221, -1.18060562, 2.07512341],
  };
  const GRADIENTS = [
    [0.1, 0.2, -0.3],
    [-0.2, 0.05, 0.4],
  ];

  const twoSteps = (optimizer: OptimizerName, resumeAfterOne: boolean) => {
    const weights = tf.variable(tf.tensor1d([0.5, -1, 2]));
    let current = new TrainingOptimizer({ optimizer, weightDecay: 0.01 }, [weights]);
    const before = tf.memory().numTensors;
    for (const [index, gradient] of GRADIENTS.entries()) {
      tf.tidy(() => current.apply([tf.tensor1d(gradient)], tf.scalar(0.1)));
      if (resumeAfterOne && index === 0) {
        const state = current.getState();
        return state.then((saved) => {
          current.dispose();
          current = new TrainingOptimizer({ optimizer, weightDecay: 0.01 }, [weights]);
          current.setState(saved);
          tf.tidy(() => current.apply([tf.tensor1d(GRADIENTS[1]!)], tf.scalar(0.1)));
          const result = [...weights.dataSync()];
          current.dispose();
          weights.dispose();
          return result;
        });
      }
    }
    expect(tf.memory().numTensors).toBe(before);
    const result = [...weights.dataSync()];
    current.dispose();
    weights.dispose();
    return Promise.resolve(result);
  };

  it.each(['sgd', 'momentum', 'adam'] as const)('%s with weight decay matches PyTorch over two updates', async (name) => {
    const result = await twoSteps(name, false);
    result.forEach((value, i) => expect(value).toBeCloseTo(PYTORCH[name][i]!, 5));
  });

  it.each(['sgd', 'momentum'] as const)('%s matches PyTorch as one kernel call per update too', async (name) => {
    const uninstall = install('cpu');
    try {
      const result = await twoSteps(name, false);
      result.forEach((value, i) => expect(value).toBeCloseTo(PYTORCH[name][i]!, 5));
      const weights = tf.variable(tf.tensor1d([0.5, -1, 2]));
      const optimizer = new TrainingOptimizer({ optimizer: name, weightDecay: 0.01 }, [weights]);
      const profile = await tf.profile(() => tf.tidy(() => optimizer.apply([tf.tensor1d(GRADIENTS[0]!)], tf.scalar(0.1))));
      expect(profile.kernels.map((k) => k.name).filter((k) => k !== 'Identity')).toEqual([SGD_UPDATE]);
      optimizer.dispose();
      weights.dispose();
    } finally {
      uninstall();
    }
  });

  it.each(['momentum', 'adam'] as const)('%s continues exactly from a saved state', async (name) => {
    expect(await twoSteps(name, true)).toEqual(await twoSteps(name, false));
  });

  it("refuses a state saved by another optimiser, and frees its slots when disposed", async () => {
    const weights = tf.variable(tf.tensor1d([1, 2]));
    const before = tf.memory().numTensors;
    const adam = new TrainingOptimizer({ optimizer: 'adam', weightDecay: 0 }, [weights]);
    const momentum = new TrainingOptimizer({ optimizer: 'momentum', weightDecay: 0 }, [weights]);
    expect(() => momentum.setState(Array.from({ length: 3 }, () => new Float32Array(2)))).toThrow(/another one/);
    adam.dispose();
    momentum.dispose();
    expect(tf.memory().numTensors).toBe(before);
    weights.dispose();
  });
});
