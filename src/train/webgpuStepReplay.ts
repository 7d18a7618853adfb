import * as tf from '@tensorflow/tfjs';
import { type BackendInternals, bufferOf, internalsOf } from './webgpuDispatch';

/**
 * A training step recorded once and replayed, as ONNX Runtime Web's WebGPU graph capture does (microsoft/onnxruntime
 * PR #18989): the first full step runs through tfjs as usual while every dispatch it encodes is captured as
 * {pipeline, bind group, workgroups}; later steps write their inputs (the batch's indices, the learning rate, the
 * augmentation's boxes) into the buffers the recorded step read them from and encode the captured dispatches again.
 * tfjs's bookkeeping per dispatch (its engine and tape, shader keys, uniforms, bind groups: tens of µs each) is paid
 * once per run instead of once per step; a replayed step costs three encoder calls per dispatch.
 *
 * It relies on a step being the same dispatches on the same buffers every time: fixed shapes, the weights, momentum
 * and batch-norm statistics updated in place (webgpuUpdate.ts, webgpuBatchNorm.ts), and no value decided on the CPU
 * inside the step other than the declared inputs (so no dropout, whose masks tfjs draws on the CPU). Every buffer
 * the recorded dispatches touch is kept out of tfjs's pool until the recording is disposed. A buffer the CPU writes
 * during the step (a shader's uniforms, an uploaded constant) is written once, at recording, and a replay does not
 * write it again: while recording, tfjs's release of such a buffer is held back until the recording is disposed, so
 * nothing else in the step reuses it. Uniforms come from tfjs's pool and go back to it (a pooled uniform buffer was
 * free before the step began); an upload's destination is a new buffer, as a pooled one may have held an earlier
 * dispatch's output in this very step, and is destroyed with the recording, or every run would grow the pool.
 */

/** Whether sessions on WebGPU record and replay their steps: set by the kernel policy installed (trainingKernels.ts). */
let replaying = false;

export function replaySteps(on: boolean): void {
  replaying = on;
}

export const replaysSteps = (): boolean => replaying;

interface RecordedDispatch {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: [number, number, number];
}

export interface RecordedStep<T> {
  /** What the recorded step returned; replays overwrite the same buffers. */
  outputs: T;
  dispatches: number;
}

type PoolView = BackendInternals['bufferManager'] & { numFreeBuffers: number };

const poolKey = (buffer: GPUBuffer) => `${buffer.size}_${buffer.usage}`;

/** The pool's free list for a buffer's size and usage, made if missing: tfjs's release pushes onto it unchecked. */
function freeListIn(pool: PoolView, buffer: GPUBuffer): GPUBuffer[] {
  const key = poolKey(buffer);
  if (!pool.freeBuffers.has(key)) pool.freeBuffers.set(key, []);
  return pool.freeBuffers.get(key)!;
}

/** One recorded step of one session. */
export class StepReplay<T> {
  private readonly internals: BackendInternals;
  private dispatches: RecordedDispatch[] = [];
  /** The buffers each declared input was uploaded into, in the order of the inputs. */
  private inputBuffers: GPUBuffer[] = [];
  /** The buffers of the tensors that must keep theirs (weights, optimiser state, data): checked before each replay. */
  private stateBuffers: { tensor: tf.Tensor; buffer: GPUBuffer }[] = [];
  private readonly pinned = new Set<GPUBuffer>();
  /** Pinned buffers tfjs has let go of: returned to its pool when the recording is disposed. */
  private readonly releasedByTfjs = new Set<GPUBuffer>();
  private readonly takenFromPool = new Set<GPUBuffer>();
  /** The new buffers the recorded step uploaded into: destroyed with the recording. */
  private readonly uploads = new Set<GPUBuffer>();
  private restoreRelease: (() => void) | null = null;
  private recorded: RecordedStep<T> | null = null;

  constructor(backend: tf.KernelBackend) {
    this.internals = internalsOf(backend);
  }

  get step(): RecordedStep<T> | null {
    return this.recorded;
  }

  /**
   * Runs `step` as usual, capturing what it encodes. `inputs` are the step's uploaded tensors, whose values the
   * replays replace; `state` the tensors whose buffers the step reads or updates in place and must keep.
   */
  record(inputs: readonly tf.Tensor[], state: readonly tf.Tensor[], step: () => T): T {
    this.dispose();
    const { internals } = this;
    // Everything queued before the step is submitted: the capture starts on an empty encoder.
    internals.ensureCommandEncoderReady();
    internals.endComputePassEncoder();
    internals.submitQueue();
    // The weights (tfjs draws their first values on the CPU) and the images go up at first use: before the capture,
    // or they would land in buffers made for the recording alone.
    this.inputBuffers = inputs.map((tensor) => bufferOf(internals, tensor));
    for (const tensor of state) internals.uploadToGPU(tensor.dataId);
    const pool = internals.bufferManager as PoolView;
    const { acquireBuffer, releaseBuffer } = pool;
    const writtenByCpu = new Set<GPUBuffer>();
    const freeListOf = (buffer: GPUBuffer) => freeListIn(pool, buffer);
    pool.acquireBuffer = (size: number, usage: number, mappedAtCreation = false, reuse = true) => {
      const uniforms = (usage & GPUBufferUsage.UNIFORM) !== 0;
      // Staging buffers are mapped at creation too, but never bound: only a bound one is an upload's destination.
      const upload = mappedAtCreation && (usage & GPUBufferUsage.STORAGE) !== 0;
      const buffer = acquireBuffer.call(pool, size, usage, mappedAtCreation, reuse && !upload);
      if (upload) {
        this.uploads.add(buffer);
        // tfjs makes a size's free list only when it reuses; its release of this buffer, later, expects one.
        freeListOf(buffer);
      }
      if (uniforms || upload) writtenByCpu.add(buffer);
      return buffer;
    };
    pool.releaseBuffer = (buffer: GPUBuffer, reuse = true) => {
      if (writtenByCpu.has(buffer)) this.releasedByTfjs.add(buffer);
      else releaseBuffer.call(pool, buffer, reuse);
    };
    const captured: RecordedDispatch[] = [];
    const buffersOf = new Map<GPUBindGroup, GPUBuffer[]>();
    const device = internals.device;
    const createBindGroup = device.createBindGroup;
    device.createBindGroup = function (this: GPUDevice, descriptor: GPUBindGroupDescriptor) {
      const group = createBindGroup.call(this, descriptor);
      const buffers = [...descriptor.entries].flatMap((entry) => {
        const resource = entry.resource as GPUBufferBinding;
        return resource.buffer instanceof GPUBuffer ? [resource.buffer] : [];
      });
      buffersOf.set(group, buffers);
      return group;
    };
    const pass = GPUComputePassEncoder.prototype;
    const { setPipeline, setBindGroup, dispatchWorkgroups } = pass;
    let pipeline: GPUComputePipeline | null = null;
    let bindGroup: GPUBindGroup | null = null;
    pass.setPipeline = function (this: GPUComputePassEncoder, p: GPUComputePipeline) {
      pipeline = p;
      return setPipeline.call(this, p);
    };
    pass.setBindGroup = function (this: GPUComputePassEncoder, index: number, group: GPUBindGroup | null, ...rest: unknown[]) {
      if (index === 0) bindGroup = group;
      return (setBindGroup as (...a: unknown[]) => void).call(this, index, group, ...rest);
    } as typeof setBindGroup;
    pass.dispatchWorkgroups = function (this: GPUComputePassEncoder, x: number, y = 1, z = 1) {
      if (pipeline === null || bindGroup === null) throw new Error('A dispatch was recorded without its pipeline or bind group.');
      captured.push({ pipeline, bindGroup, workgroups: [x, y, z] });
      return dispatchWorkgroups.call(this, x, y, z);
    };
    let outputs: T;
    try {
      outputs = step();
    } finally {
      device.createBindGroup = createBindGroup;
      Object.assign(pass, { setPipeline, setBindGroup, dispatchWorkgroups });
      pool.acquireBuffer = acquireBuffer;
      pool.releaseBuffer = releaseBuffer;
    }
    this.dispatches = captured;
    this.stateBuffers = state.map((tensor) => ({ tensor, buffer: bufferOf(internals, tensor) }));
    for (const dispatch of captured) for (const buffer of buffersOf.get(dispatch.bindGroup) ?? []) this.pinned.add(buffer);
    for (const buffer of this.inputBuffers) this.pinned.add(buffer);
    this.pin();
    this.recorded = { outputs, dispatches: captured.length };
    return outputs;
  }

  /** Whether the state tensors still live in the buffers the recording updates (a resumed checkpoint replaces them). */
  isCurrent(): boolean {
    return this.recorded !== null && this.stateBuffers.every(({ tensor, buffer }) => !tensor.isDisposed && bufferOf(this.internals, tensor) === buffer);
  }

  /**
   * One more step: the new inputs written where the recorded step read them, then its dispatches encoded again.
   * `rewritten` are tensors whose buffers the step writes (its outputs): tfjs keeps a tensor's values on the CPU
   * once read, and those copies are now stale.
   */
  replay(inputs: readonly ArrayBufferView[], rewritten: readonly tf.Tensor[]): void {
    if (this.recorded === null) throw new Error('There is no recorded step to replay.');
    const { internals } = this;
    // Writes land on the queue before anything not yet submitted: submit first, so the last step reads its own inputs.
    internals.ensureCommandEncoderReady();
    internals.endComputePassEncoder();
    internals.submitQueue();
    inputs.forEach((values, i) => internals.queue.writeBuffer(this.inputBuffers[i]!, 0, values.buffer, values.byteOffset, values.byteLength));
    internals.ensureCommandEncoderReady();
    const pass = internals.commandEncoder!.beginComputePass({});
    for (const { pipeline, bindGroup, workgroups } of this.dispatches) {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(...workgroups);
    }
    pass.end();
    internals.submitQueue();
    for (const tensor of rewritten) {
      const data = internals.tensorMap.get(tensor.dataId);
      if (data !== undefined) data.values = null;
    }
  }

  /** Keeps the recorded step's buffers out of tfjs's pool: those free now, and those tfjs frees later. */
  private pin(): void {
    const pool = this.internals.bufferManager as PoolView;
    for (const [key, free] of pool.freeBuffers) {
      const kept = free.filter((buffer) => !this.pinned.has(buffer));
      for (const buffer of free) if (this.pinned.has(buffer)) this.takenFromPool.add(buffer);
      pool.numFreeBuffers -= free.length - kept.length;
      pool.freeBuffers.set(key, kept);
    }
    const release = pool.releaseBuffer;
    pool.releaseBuffer = (buffer: GPUBuffer, reuse = true) => {
      if (reuse && this.pinned.has(buffer)) this.releasedByTfjs.add(buffer);
      else release.call(pool, buffer, reuse);
    };
    const freeListOf = (buffer: GPUBuffer) => freeListIn(pool, buffer);
    this.restoreRelease = () => {
      pool.releaseBuffer = release;
      for (const buffer of this.releasedByTfjs) {
        freeListOf(buffer);
        release.call(pool, buffer, !this.uploads.has(buffer));
      }
      for (const buffer of this.takenFromPool) {
        freeListOf(buffer).push(buffer);
        pool.numFreeBuffers++;
      }
    };
  }

  /** Gives the pinned buffers back to tfjs's pool; the recording is gone. */
  dispose(): void {
    this.restoreRelease?.();
    this.restoreRelease = null;
    this.pinned.clear();
    this.releasedByTfjs.clear();
    this.takenFromPool.clear();
    this.uploads.clear();
    this.dispatches = [];
    this.inputBuffers = [];
    this.stateBuffers = [];
    this.recorded = null;
  }
}
