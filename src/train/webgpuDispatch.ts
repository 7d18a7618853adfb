import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';

/**
 * Compute shaders of our own, written whole in WGSL, dispatched into the command stream tfjs's WebGPU backend is
 * filling. tfjs's `runWebGPUProgram` gives a program one output and read-only inputs; the batch-norm and update
 * kernels need several outputs and in-place writes (a weight updated where it lies, so its buffer never changes).
 * Everything else follows tfjs 4.22's recordAndSubmit (backend_webgpu.ts): the same compute pass, the same
 * deferred submit every WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE dispatches, the same pooled uniform buffers, the same
 * timestamp queries under tf.profile, and the same bookkeeping that defers freeing a buffer the queue still uses.
 */

/** The parts of tfjs-backend-webgpu 4.22's backend this module uses beyond its typed surface (pinned by ~4.22.0). */
export interface BackendInternals {
  device: GPUDevice;
  queue: GPUQueue;
  tensorMap: { get(dataId: tf.DataId): { resource?: unknown; values?: unknown } | undefined };
  bufferManager: {
    acquireBuffer(size: number, usage: number, mappedAtCreation?: boolean, reuse?: boolean): GPUBuffer;
    releaseBuffer(buffer: GPUBuffer, reuse?: boolean): void;
    freeBuffers: Map<string, GPUBuffer[]>;
    numBytesAllocated: number;
  };
  commandEncoder: GPUCommandEncoder | null;
  computePassEncoder: GPUComputePassEncoder | null;
  commandQueueOwnedIds: WeakSet<tf.DataId>;
  uniformPendingDisposal: GPUBuffer[];
  dispatchCountInPass: number;
  activeTimers: { name: string; query: Promise<number> }[] | null;
  supportTimestampQuery: boolean;
  querySet: GPUQuerySet | null;
  querySetCount: number;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  uploadToGPU(dataId: tf.DataId): void;
  getQueryTime(): Promise<number>;
  recordAndSubmit(program: unknown, output: tf.TensorInfo, inputs: tf.TensorInfo[], uniforms?: unknown): void;
  makeUniforms(uniforms: unknown): GPUBufferBinding;
}

export const internalsOf = (backend: WebGPUBackend | tf.KernelBackend): BackendInternals => backend as unknown as BackendInternals;

/** A whole WGSL compute shader: its tensors at bindings 0…n−1 in the order given, its uniforms (if any) at n. */
export interface GpuProgram {
  /** The shader's identity: programs with one key share one compiled pipeline. */
  key: string;
  /** For profiles. */
  name: string;
  source(): string;
}

export interface GpuBinding {
  tensor: tf.TensorInfo;
  /** Bound read_write: the shader writes it (an output, or a tensor updated in place). */
  write?: boolean;
}

/** Scalar uniforms, in the order the shader's `Uniforms` struct declares them. */
export type UniformValue = { u32: number } | { i32: number } | { f32: number };

const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

function pipelineFor(device: GPUDevice, program: GpuProgram): GPUComputePipeline {
  let cache = pipelines.get(device);
  if (cache === undefined) pipelines.set(device, (cache = new Map()));
  let pipeline = cache.get(program.key);
  if (pipeline === undefined) {
    const module = device.createShaderModule({ code: program.source(), label: program.name });
    pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: program.name });
    cache.set(program.key, pipeline);
  }
  return pipeline;
}

function uniformBytes(values: readonly UniformValue[]): ArrayBuffer {
  // A struct of 4-byte scalars, padded to 16 bytes as uniform buffers want.
  const bytes = new ArrayBuffer(Math.max(16, Math.ceil((values.length * 4) / 16) * 16));
  const view = new DataView(bytes);
  values.forEach((value, i) => {
    if ('u32' in value) view.setUint32(i * 4, value.u32, true);
    else if ('i32' in value) view.setInt32(i * 4, value.i32, true);
    else view.setFloat32(i * 4, value.f32, true);
  });
  return bytes;
}

export function bufferOf(internals: BackendInternals, tensor: tf.TensorInfo): GPUBuffer {
  internals.uploadToGPU(tensor.dataId);
  const resource = internals.tensorMap.get(tensor.dataId)?.resource;
  if (!(resource instanceof GPUBuffer)) throw new Error('A custom WebGPU kernel was given a tensor that is not in a GPU buffer.');
  return resource;
}

/**
 * Encodes one dispatch of `program` over `workgroups`, reading and writing the bound tensors. Outputs are tensors
 * the caller made (backend.makeTensorInfo) and owns; nothing is read back.
 */
export function dispatch(
  backend: tf.KernelBackend,
  program: GpuProgram,
  bindings: readonly GpuBinding[],
  uniforms: readonly UniformValue[],
  workgroups: [number, number, number],
): void {
  const internals = internalsOf(backend);
  const { device } = internals;
  const pipeline = pipelineFor(device, program);
  const buffers = bindings.map(({ tensor }) => bufferOf(internals, tensor));
  const entries: GPUBindGroupEntry[] = buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
  if (uniforms.length > 0) {
    const bytes = uniformBytes(uniforms);
    const buffer = internals.bufferManager.acquireBuffer(bytes.byteLength, GPUBufferUsage.COPY_DST | GPUBufferUsage.UNIFORM);
    internals.queue.writeBuffer(buffer, 0, bytes);
    internals.uniformPendingDisposal.push(buffer);
    entries.push({ binding: buffers.length, resource: { buffer } });
  }
  for (const { tensor } of bindings) internals.commandQueueOwnedIds.add(tensor.dataId);
  const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
  encode(internals, pipeline, bindGroup, workgroups, program.name);
}

/** Into tfjs's open compute pass, submitted as tfjs submits; under tf.profile, in a timed pass of its own. */
export function encode(
  internals: BackendInternals,
  pipeline: GPUComputePipeline,
  bindGroup: GPUBindGroup,
  workgroups: [number, number, number],
  name: string,
): void {
  internals.ensureCommandEncoderReady();
  const encoder = internals.commandEncoder!;
  const timed = internals.activeTimers !== null && internals.activeTimers !== undefined;
  if (timed && internals.supportTimestampQuery) {
    internals.endComputePassEncoder();
    internals.querySet ??= internals.device.createQuerySet({ type: 'timestamp', count: internals.querySetCount });
    internals.computePassEncoder = encoder.beginComputePass({
      timestampWrites: { querySet: internals.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 },
    });
  } else if (!internals.computePassEncoder) {
    internals.computePassEncoder = encoder.beginComputePass({});
  }
  const pass = internals.computePassEncoder!;
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(...workgroups);
  internals.dispatchCountInPass++;
  if (timed || tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') <= internals.dispatchCountInPass) {
    internals.endComputePassEncoder();
    if (timed) internals.activeTimers!.push({ name, query: internals.getQueryTime() });
    else internals.submitQueue();
  }
}

/** The device's largest workgroup count per dimension is at least 65,535: larger flat dispatches fold into y. */
const MAX_WORKGROUPS_PER_DIMENSION = 65535;

/** Workgroups for `threads` threads of one dimension, folded into two dimensions when there are too many. */
export function flatWorkgroups(threads: number, workgroupSize: number): [number, number, number] {
  const groups = Math.max(1, Math.ceil(threads / workgroupSize));
  if (groups <= MAX_WORKGROUPS_PER_DIMENSION) return [groups, 1, 1];
  const rows = Math.ceil(groups / MAX_WORKGROUPS_PER_DIMENSION);
  return [Math.ceil(groups / rows), rows, 1];
}

/** WGSL: the flat index of this thread under flatWorkgroups (needs `gid` and `groups` builtins). */
export const flatIndex = (workgroupSize: number) => `i32(gid.x + gid.y * groups.x * ${workgroupSize}u)`;

/** A new float32 tensor for a kernel's output, in a pooled GPU buffer; its contents are undefined until written. */
export function outputTensor(backend: tf.KernelBackend, shape: number[]): tf.TensorInfo {
  const info = (backend as WebGPUBackend).makeTensorInfo(shape, 'float32');
  internalsOf(backend).uploadToGPU(info.dataId);
  return info;
}

/** The tensor itself as a kernel's output (an in-place update): the engine takes a second reference to its data. */
export function sameTensor(backend: tf.KernelBackend, tensor: tf.TensorInfo): tf.TensorInfo {
  backend.incRef(tensor.dataId);
  return { dataId: tensor.dataId, shape: tensor.shape, dtype: tensor.dtype };
}
