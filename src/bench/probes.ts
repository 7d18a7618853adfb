import * as tf from '@tensorflow/tfjs';
import { memoryUse, setUpBackend } from '../worker/backend';
import type { AdapterDescription, BackendName } from '../domain/backend';
import type { BenchProbes } from './benchmark';

/** Counts calls to one method of an object while `run` executes, then restores it. */
function countCalls<T extends object, K extends keyof T>(target: T, method: K, run: () => void): number {
  const original = target[method] as (...args: unknown[]) => unknown;
  let calls = 0;
  (target as Record<K, unknown>)[method] = function (this: unknown, ...args: unknown[]) {
    calls++;
    return original.apply(this, args);
  };
  try {
    run();
  } finally {
    (target as Record<K, unknown>)[method] = original;
  }
  return calls;
}

/** The adapter in words, or the backend's name where there is no adapter (cpu, webgl). */
export const adapterLabel = (adapter: AdapterDescription | null, backend: BackendName): string =>
  adapter ? [adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' · ') : backend;

/** Sets up a backend exactly as the worker does and returns the hooks the benchmark measures with. */
export async function createProbes(runtime: string, backendName: BackendName): Promise<BenchProbes | { error: string }> {
  const setup = await setUpBackend(backendName);
  if (!setup.ok) return { error: setup.reason };
  const backend = tf.backend();
  const isWebGpu = backendName === 'webgpu';
  return {
    runtime,
    backend: backendName,
    adapter: adapterLabel(setup.adapter, backendName),
    adapterDescription: setup.adapter,
    fence: setup.fence,
    countDispatches: (run) =>
      isWebGpu && typeof GPUComputePassEncoder !== 'undefined'
        ? countCalls(GPUComputePassEncoder.prototype, 'dispatchWorkgroups', run)
        : null,
    countReadbacks: (run) => {
      let reads = 0;
      reads += countCalls(backend, 'readSync', () => {
        reads += countCalls(backend, 'read', run);
      });
      return reads;
    },
    // The WebGPU backend pools freed buffers, so what it has allocated is the honest figure (PR tfjs#2526).
    bytesInUse: () => memoryUse().allocatedBytes,
  };
}
