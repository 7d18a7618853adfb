import type * as tf from '@tensorflow/tfjs';
import type { SafeTensor } from './safetensors';

/**
 * The network's weights under PyTorch's names and layouts: the state_dict keys of a module tree that mirrors the
 * tfjs layer names (`inception_3a/branch2_3x3` → `inception_3a.branch2_3x3`). A conv layer L holds `L.conv` and,
 * with batch norm, `L.bn`; a dense layer L is an nn.Linear at `L`. scripts/pytorch's train.py builds that tree.
 */

/** How a tfjs weight's values are laid out as PyTorch's tensor. */
export type TorchLayout =
  | { kind: 'same' }
  /** Conv kernel: tfjs HWIO → PyTorch OIHW. */
  | { kind: 'conv' }
  /** Dense kernel: tfjs [in, out] → PyTorch [out, in]. */
  | { kind: 'dense' }
  /**
   * Dense kernel fed by a flattened feature map: tfjs flattens H×W×C, PyTorch C×H×W, so the inputs are reordered
   * too.
   */
  | { kind: 'flattened-dense'; height: number; width: number; channels: number };

export interface TorchEntry {
  key: string;
  dtype: SafeTensor['dtype'];
  /** PyTorch's shape. */
  shape: number[];
  /** Where the values sit in layerWeights order; null for batch norm's step counter, which tfjs does not keep. */
  weightIndex: number | null;
  layout: TorchLayout;
}

const SAME: TorchLayout = { kind: 'same' };

/** PyTorch's names for the weights of each layer kind, by the tfjs weight's own name. */
const CONV_NAMES: Record<string, string> = { kernel: 'conv.weight', bias: 'conv.bias' };
const NORM_NAMES: Record<string, string> = {
  gamma: 'bn.weight',
  beta: 'bn.bias',
  moving_mean: 'bn.running_mean',
  moving_variance: 'bn.running_var',
};
const DENSE_NAMES: Record<string, string> = { kernel: 'weight', bias: 'bias' };

const modulePath = (layerName: string) => layerName.replaceAll('/', '.');

function inboundLayer(layer: tf.layers.Layer): tf.layers.Layer {
  const inbound = layer.inboundNodes[0]?.inboundLayers[0];
  if (inbound === undefined) throw new Error(`Layer "${layer.name}" has no input layer.`);
  return inbound;
}

function torchShape(shape: readonly number[], layout: TorchLayout): number[] {
  switch (layout.kind) {
    case 'same':
      return [...shape];
    case 'conv': {
      const [kh, kw, inputs, outputs] = shape as [number, number, number, number];
      return [outputs, inputs, kh, kw];
    }
    case 'dense':
    case 'flattened-dense':
      return [shape[1]!, shape[0]!];
  }
}

/** A dense layer's kernel layout: reordered when its input is a flattened H×W×C map (the auxiliary heads' fc). */
function denseLayout(layer: tf.layers.Layer): TorchLayout {
  const source = inboundLayer(layer);
  if (source.getClassName() !== 'Flatten') return { kind: 'dense' };
  const [, height, width, channels] = (source.input as tf.SymbolicTensor).shape as [null, number, number, number];
  return { kind: 'flattened-dense', height, width, channels };
}

/**
 * Every PyTorch state_dict entry of a tfjs GoogLeNet, in layer order: one per tfjs weight, plus batch norm's
 * `num_batches_tracked` (an I64 scalar).
 */
export function torchEntries(model: tf.LayersModel): TorchEntry[] {
  const entries: TorchEntry[] = [];
  let weightIndex = 0;
  for (const layer of model.layers) {
    const kind = layer.getClassName();
    const names = kind === 'Conv2D' ? CONV_NAMES : kind === 'BatchNormalization' ? NORM_NAMES : kind === 'Dense' ? DENSE_NAMES : {};
    // Batch norm belongs to the convolution it follows: `L_bn` is the `bn` of L's module.
    const path = modulePath(kind === 'BatchNormalization' ? inboundLayer(layer).name : layer.name);
    for (const variable of layer.weights) {
      const ownName = variable.originalName.slice(variable.originalName.lastIndexOf('/') + 1);
      const torchName = names[ownName];
      if (torchName === undefined) throw new Error(`No PyTorch name for weight "${variable.originalName}" of a ${kind} layer.`);
      const layout: TorchLayout = ownName !== 'kernel' ? SAME : kind === 'Conv2D' ? { kind: 'conv' } : denseLayout(layer);
      entries.push({ key: `${path}.${torchName}`, dtype: 'F32', shape: torchShape(variable.shape as number[], layout), weightIndex, layout });
      weightIndex++;
    }
    if (kind === 'BatchNormalization') {
      entries.push({ key: `${path}.bn.num_batches_tracked`, dtype: 'I64', shape: [], weightIndex: null, layout: SAME });
    }
  }
  return entries;
}

/** For each tfjs index of a weight, the index of the same value in PyTorch's layout. */
function torchIndices(layout: TorchLayout, torch: readonly number[]): Int32Array {
  const size = torch.reduce((a, b) => a * b, 1);
  const indices = new Int32Array(size);
  switch (layout.kind) {
    case 'same':
      indices.forEach((_, i) => (indices[i] = i));
      break;
    case 'conv': {
      const [outputs, inputs, kh, kw] = torch as [number, number, number, number];
      let i = 0;
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++)
          for (let c = 0; c < inputs; c++) for (let o = 0; o < outputs; o++) indices[i++] = ((o * inputs + c) * kh + y) * kw + x;
      break;
    }
    case 'dense': {
      const [outputs, inputs] = torch as [number, number];
      let i = 0;
      for (let r = 0; r < inputs; r++) for (let o = 0; o < outputs; o++) indices[i++] = o * inputs + r;
      break;
    }
    case 'flattened-dense': {
      const [outputs, inputs] = torch as [number, number];
      const { height, width, channels } = layout;
      let i = 0;
      for (let y = 0; y < height; y++)
        for (let x = 0; x < width; x++)
          for (let c = 0; c < channels; c++)
            for (let o = 0; o < outputs; o++) indices[i++] = o * inputs + (c * height + y) * width + x;
      break;
    }
  }
  return indices;
}

/**
 * Weights in layerWeights order → PyTorch's tensors by key. Batch norm's step counter is written as 0: tfjs keeps
 * none, and PyTorch reads it only when momentum is None, which train.py's model does not use.
 */
export function toTorchTensors(entries: readonly TorchEntry[], weights: readonly Float32Array[]): Map<string, SafeTensor> {
  const tensors = new Map<string, SafeTensor>();
  for (const entry of entries) {
    if (entry.weightIndex === null) {
      tensors.set(entry.key, { dtype: 'I64', shape: entry.shape, data: BigInt64Array.of(0n) });
      continue;
    }
    const values = weights[entry.weightIndex];
    const indices = torchIndices(entry.layout, entry.shape);
    if (values === undefined || values.length !== indices.length) {
      throw new Error(`The weights do not fit the network: "${entry.key}" needs ${indices.length} values.`);
    }
    const data = new Float32Array(values.length);
    indices.forEach((to, from) => (data[to] = values[from]!));
    tensors.set(entry.key, { dtype: 'F32', shape: entry.shape, data });
  }
  return tensors;
}

const listed = (keys: string[]) => keys.slice(0, 5).map((k) => `"${k}"`).join(', ') + (keys.length > 5 ? ` and ${keys.length - 5} more` : '');

/**
 * PyTorch's tensors by key → weights in layerWeights order. Refuses, naming them, missing or extra keys and
 * tensors of another dtype or shape, as PyTorch's strict load_state_dict does; the step counters' values are
 * ignored.
 */
export function fromTorchTensors(entries: readonly TorchEntry[], tensors: ReadonlyMap<string, SafeTensor>): Float32Array[] {
  const expected = new Set(entries.map((e) => e.key));
  const missing = entries.map((e) => e.key).filter((key) => !tensors.has(key));
  const extra = [...tensors.keys()].filter((key) => !expected.has(key));
  if (missing.length > 0 || extra.length > 0) {
    const problems = [
      missing.length > 0 ? `it lacks ${listed(missing)}` : '',
      extra.length > 0 ? `it has ${listed(extra)}, which this network does not` : '',
    ];
    throw new Error(`The weights do not fit the network the metadata describes: ${problems.filter(Boolean).join('; ')}.`);
  }
  const weights: Float32Array[] = [];
  for (const entry of entries) {
    const tensor = tensors.get(entry.key)!;
    if (tensor.dtype !== entry.dtype || !sameShape(tensor.shape, entry.shape)) {
      throw new Error(
        `"${entry.key}" is ${tensor.dtype} [${tensor.shape.join(', ')}]; the network the metadata describes needs ${entry.dtype} [${entry.shape.join(', ')}].`,
      );
    }
    if (entry.weightIndex === null || tensor.dtype !== 'F32') continue;
    const indices = torchIndices(entry.layout, entry.shape);
    const values = new Float32Array(indices.length);
    indices.forEach((from, to) => (values[to] = tensor.data[from]!));
    weights[entry.weightIndex] = values;
  }
  return weights;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((side, i) => side === b[i]);
