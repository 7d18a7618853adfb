import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config/trainConfig';
import { SGD_UPDATE, type SgdUpdateAttrs, hasKernel, updateInputs } from '../model/customKernels';

/**
 * The learning rate of update `step` (counted from 0), as PyTorch's schedulers give it: StepLR stepped once per
 * epoch, CosineAnnealingLR over the whole run but evaluated per update, and a linear warm-up from 0 on top.
 */
export function learningRateAt(
  config: Pick<TrainConfig, 'learningRate' | 'schedule' | 'stepSize' | 'gamma' | 'warmupEpochs' | 'epochs'>,
  step: number,
  stepsPerEpoch: number,
): number {
  const epoch = Math.floor(step / stepsPerEpoch);
  let rate = config.learningRate;
  if (config.schedule === 'step') rate *= config.gamma ** Math.floor(epoch / config.stepSize);
  if (config.schedule === 'cosine') rate *= (1 + Math.cos((Math.PI * step) / (config.epochs * stepsPerEpoch))) / 2;
  const warmupSteps = config.warmupEpochs * stepsPerEpoch;
  return step < warmupSteps ? (rate * (step + 1)) / warmupSteps : rate;
}

export const MOMENTUM = 0.9;
export const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;

/**
 * SGD, SGD with momentum and Adam with PyTorch's update rules and coupled weight decay (g + wd·w), keeping their
 * state in variables of their own so a checkpoint can carry it: a resumed run continues exactly, not from cold
 * momentum. The learning rate comes with every update, so a schedule costs one scalar upload, never a read.
 */
export class TrainingOptimizer {
  private readonly slots: tf.Variable[][];
  /** Adam's update count, for its bias correction; kept on the CPU so no step reads it back. */
  private updates = 0;

  constructor(
    private readonly config: Pick<TrainConfig, 'optimizer' | 'weightDecay'>,
    private readonly variables: tf.Variable[],
  ) {
    const slotCount = { sgd: 0, momentum: 1, adam: 2 }[config.optimizer];
    // tidy frees the zeros each variable was made from; variables themselves outlive it.
    this.slots = tf.tidy(() =>
      variables.map((v) => Array.from({ length: slotCount }, () => tf.variable(tf.zerosLike(v), false))),
    );
  }

  /**
   * Applies one update; `gradients` are in the order of the variables. The rate is a one-element tensor: a
   * scheduled rate changes the data of an upload, never a program, and a recorded step can be given a new one.
   */
  apply(gradients: tf.Tensor[], rate: tf.Scalar): void {
    this.updates++;
    const { optimizer, weightDecay } = this.config;
    if (optimizer !== 'adam' && hasKernel(SGD_UPDATE)) {
      this.applyAsOneKernel(gradients, rate);
      return;
    }
    tf.tidy(() => {
      this.variables.forEach((variable, i) => {
        const raw = gradients[i]!;
        const gradient = weightDecay > 0 ? tf.add(raw, tf.mul(variable, weightDecay)) : raw;
        const slots = this.slots[i]!;
        if (optimizer === 'sgd') {
          variable.assign(tf.sub(variable, tf.mul(gradient, rate)));
        } else if (optimizer === 'momentum') {
          // PyTorch: buf = μ·buf + g (the first update, from a zero buffer, gives buf = g); w -= lr·buf.
          const buffer = slots[0]!;
          buffer.assign(tf.add(tf.mul(buffer, MOMENTUM), gradient));
          variable.assign(tf.sub(variable, tf.mul(buffer, rate)));
        } else {
          const [first, second] = slots as [tf.Variable, tf.Variable];
          first.assign(tf.add(tf.mul(first, ADAM.beta1), tf.mul(gradient, 1 - ADAM.beta1)));
          second.assign(tf.add(tf.mul(second, ADAM.beta2), tf.mul(tf.square(gradient), 1 - ADAM.beta2)));
          const stepSize = tf.div(rate, 1 - ADAM.beta1 ** this.updates);
          const denominator = tf.add(tf.div(tf.sqrt(second), Math.sqrt(1 - ADAM.beta2 ** this.updates)), ADAM.epsilon);
          variable.assign(tf.sub(variable, tf.mul(tf.div(first, denominator), stepSize)));
        }
      });
    });
  }

  /**
   * SGD and momentum as one kernel for all the variables (fusedKernels.ts, webgpuUpdate.ts), same arithmetic. A
   * backend that updates in place returns the variables' own tensors, which need no assignment.
   */
  private applyAsOneKernel(gradients: tf.Tensor[], rate: tf.Scalar): void {
    const buffers = this.config.optimizer === 'momentum' ? this.slots.map((slots) => slots[0]!) : [];
    const attrs: SgdUpdateAttrs = {
      weightDecay: this.config.weightDecay,
      momentum: buffers.length > 0 ? MOMENTUM : 0,
      variableCount: this.variables.length,
    };
    tf.tidy(() => {
      const result = tf.engine().runKernel(SGD_UPDATE, updateInputs(rate, this.variables, gradients, buffers), attrs as unknown as tf.NamedAttrMap);
      const outputs = Array.isArray(result) ? result : [result];
      const assign = (target: tf.Variable, value: tf.Tensor) => {
        if (value.dataId !== target.dataId) target.assign(value);
      };
      this.variables.forEach((variable, i) => assign(variable, outputs[i]!));
      buffers.forEach((buffer, i) => assign(buffer, outputs[this.variables.length + i]!));
    });
  }

  /** The tensors of the state a checkpoint keeps, read with the weights in one read per epoch (see stateFrom). */
  slotTensors(): tf.Tensor[] {
    return this.slots.flat();
  }

  /** The state a checkpoint keeps from the slots' values (in slotTensors' order): every slot, then the update count. */
  stateFrom(slotValues: Float32Array[]): Float32Array[] {
    return [...slotValues, Float32Array.of(this.updates)];
  }

  /** The state a checkpoint keeps, read on its own. */
  async getState(): Promise<Float32Array[]> {
    return this.stateFrom(await Promise.all(this.slotTensors().map(async (slot) => (await slot.data()).slice() as Float32Array)));
  }

  /** Restores getState's arrays; an empty state (a checkpoint of plain SGD, or an older one) means a fresh start. */
  setState(state: Float32Array[]): void {
    if (state.length === 0) return;
    const slots = this.slots.flat();
    if (state.length !== slots.length + 1 || slots.some((slot, i) => slot.size !== state[i]!.length)) {
      throw new Error("The checkpoint's optimiser state does not fit this optimiser: was it saved with another one?");
    }
    tf.tidy(() => slots.forEach((slot, i) => slot.assign(tf.tensor(state[i]!, slot.shape))));
    this.updates = state[slots.length]![0]!;
  }

  dispose(): void {
    this.slots.flat().forEach((slot) => slot.dispose());
  }
}
