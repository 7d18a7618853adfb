import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { type DeviceFence, immediateFence } from '../train/engine';
import type { AdapterDescription, BackendName, MemoryUse } from './protocol';

export type BackendSetup =
  | { ok: true; adapter: AdapterDescription | null; fence: DeviceFence; maxBufferBytes?: number }
  | { ok: false; reason: string };

function describeAdapter(info: GPUAdapterInfo): AdapterDescription {
  const isSoftware = info.architecture === 'swiftshader' || /swiftshader/i.test(info.description);
  return { vendor: info.vendor, architecture: info.architecture, description: info.description, isSoftware };
}

/** Ends the encoder tfjs is filling, submits it and waits for the queue: a fence with no readback. */
function webgpuFence(backend: WebGPUBackend): DeviceFence {
  return () => {
    backend.ensureCommandEncoderReady();
    backend.endComputePassEncoder();
    backend.submitQueue();
    return backend.queue.onSubmittedWorkDone();
  };
}

async function probeWebGpu(): Promise<{ ok: true; info: GPUAdapterInfo } | { ok: false; reason: string }> {
  if (!('gpu' in navigator) || navigator.gpu === undefined) {
    return { ok: false, reason: 'This browser does not expose WebGPU (navigator.gpu is missing).' };
  }
  const adapter = await navigator.gpu.requestAdapter();
  if (adapter === null) return { ok: false, reason: 'WebGPU is present but no GPU adapter is available.' };
  return { ok: true, info: adapter.info };
}

/** Selects exactly the backend asked for: tfjs would otherwise fall back silently. */
export async function setUpBackend(
  name: BackendName,
  onDeviceLost: (reason: string) => void = () => {},
): Promise<BackendSetup> {
  try {
    let adapter: AdapterDescription | null = null;
    if (name === 'webgpu') {
      const probe = await probeWebGpu();
      if (!probe.ok) return probe;
      adapter = describeAdapter(probe.info);
    }
    if (!(await tf.setBackend(name))) return { ok: false, reason: `The ${name} backend failed to initialise.` };
    await tf.ready();
    if (tf.getBackend() !== name) return { ok: false, reason: `tfjs started ${tf.getBackend()} instead of ${name}.` };
    if (name !== 'webgpu') return { ok: true, adapter, fence: immediateFence };
    const backend = tf.backend() as WebGPUBackend;
    void backend.device.lost.then((info) => onDeviceLost(info.message || info.reason || 'unknown reason'));
    const { maxStorageBufferBindingSize, maxBufferSize } = backend.device.limits;
    return {
      ok: true,
      adapter,
      fence: webgpuFence(backend),
      maxBufferBytes: Math.min(maxStorageBufferBindingSize, maxBufferSize),
    };
  } catch (error) {
    return { ok: false, reason: `The ${name} backend failed to initialise: ${(error as Error).message}` };
  }
}

/** tf.memory() merges in the backend's own fields; WebGPU adds the bytes it has allocated. */
export function memoryUse(): MemoryUse {
  const info = tf.memory() as tf.MemoryInfo & { numBytesAllocatedInGPU?: number };
  return { numTensors: info.numTensors, allocatedBytes: info.numBytesAllocatedInGPU ?? info.numBytes };
}
