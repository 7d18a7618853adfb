import * as tf from '@tensorflow/tfjs';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { type DeviceFence, immediateFence } from '../train/engine';
import { type AdapterTables, convPolicyFor } from '../train/convStrategy';
import { type WebGpuPolicy, install } from '../train/trainingKernels';
import type { MemoryUse } from './protocol';
import type { AdapterDescription, BackendName } from '../domain/backend';

export type BackendSetup =
  | { ok: true; adapter: AdapterDescription | null; fence: DeviceFence; maxBufferBytes?: number }
  | { ok: false; reason: string };

function adapterDescription(info: GPUAdapterInfo): AdapterDescription {
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

/**
 * Registers tfjs's WebGPU backend with a device of our asking. tfjs registers its own only if navigator.gpu exists
 * when its module is first imported (not so in Node, where Dawn's is installed later), and asks for the adapter's
 * limits but not its storage buffers per shader: our update shaders bind as many variables as that allows.
 */
function registerWebGpuBackend(): void {
  if (tf.findBackend('webgpu') !== null) return;
  if (tf.findBackendFactory('webgpu') !== null) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', async () => {
    const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (adapter === null) throw new Error('no WebGPU adapter');
    const { limits } = adapter;
    const device = await adapter.requestDevice({
      requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
      requiredLimits: {
        maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
        maxBufferSize: limits.maxBufferSize,
        maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
        maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
      },
    });
    return new WebGPUBackend(device, adapter.info);
  }, 3);
}

async function probeWebGpu(): Promise<{ ok: true; info: GPUAdapterInfo } | { ok: false; reason: string }> {
  if (!('gpu' in navigator) || navigator.gpu === undefined) {
    return { ok: false, reason: 'This browser does not expose WebGPU (navigator.gpu is missing).' };
  }
  const adapter = await navigator.gpu.requestAdapter();
  if (adapter === null) return { ok: false, reason: 'WebGPU is present but no GPU adapter is available.' };
  return { ok: true, info: adapter.info };
}

/**
 * The threaded wasm build starts this many workers with the module; XNNPACK asking for more would start new ones
 * while the calling thread blocks on them.
 */
const WASM_PRESTARTED_THREADS = 8;

const wasmThreadsFor = (cores: number) => Math.max(1, Math.min(cores - 1, WASM_PRESTARTED_THREADS));

/**
 * Starts tfjs's wasm backend with the training kernels. In a browser its binaries come from this origin (Vite emits
 * them; imported lazily because Node, where tfjs finds them beside its script and runs one thread, cannot load
 * `?url` modules), and it gets one thread per logical core but one: the page, Chromium's GPU process and the
 * worker's own JavaScript need a core too. Measured on a 2-core machine (Classroom step, batch 32): 104 ms with one
 * thread against 130 ms with two, whose small kernels pay the threads' hand-off.
 */
async function startWasm(): Promise<boolean> {
  if (!tf.env().getBool('IS_BROWSER')) return tf.setBackend('wasm');
  const [plain, simd, threadedSimd] = await Promise.all([
    import('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url'),
    import('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url'),
    import('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url'),
  ]);
  setWasmPaths({
    'tfjs-backend-wasm.wasm': plain.default,
    'tfjs-backend-wasm-simd.wasm': simd.default,
    'tfjs-backend-wasm-threaded-simd.wasm': threadedSimd.default,
  });
  const cores = navigator.hardwareConcurrency || 1;
  setThreadsCount(wasmThreadsFor(cores));
  // tfjs-backend-wasm 4.22 also caps its pool at navigator.hardwareConcurrency / 2 (it assumes two hyperthreads
  // per core), which leaves a 2-core machine one thread. It reads the figure once, as the module instantiates.
  Object.defineProperty(navigator, 'hardwareConcurrency', { configurable: true, value: 2 * cores });
  try {
    return await tf.setBackend('wasm');
  } finally {
    Reflect.deleteProperty(navigator, 'hardwareConcurrency');
  }
}

/** What runs the wasm kernels, shown where a GPU backend shows its adapter. */
async function describeWasm(): Promise<AdapterDescription> {
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = getThreadsCount();
  // SharedArrayBuffer, and so the threaded build, exists only on a cross-origin-isolated page.
  const isolated = typeof crossOriginIsolated === 'boolean' && crossOriginIsolated;
  const inBrowser = tf.env().getBool('IS_BROWSER');
  const why = !inBrowser ? '' : isolated ? ' (threaded build; one core left to the page)' : threads === 1 ? ' (page not cross-origin isolated)' : '';
  return {
    vendor: 'WebAssembly',
    architecture: simd ? 'SIMD' : 'no SIMD',
    description: `${threads} ${threads === 1 ? 'thread' : 'threads'}${why}`,
    isSoftware: false,
  };
}

/** Our shaders for batch norm, SGD and the global pool, and the convolutions' strategies tuned for this adapter (convTables.json). */
export const webGpuPolicyFor = (adapter: AdapterDescription, tables?: readonly AdapterTables[]): WebGpuPolicy => ({
  ...convPolicyFor(adapter, tables),
  batchNorm: 'shaders',
  update: 'shaders',
  globalPool: 'shader',
  replay: true,
});

/**
 * Selects exactly the backend asked for: tfjs would otherwise fall back silently. `onDeviceFailure` hears of a lost
 * GPU device and of any error the device reports: a shader that failed to compile or a dispatch it refused leaves
 * its outputs unwritten, and a run must not go on from garbage.
 */
export async function setUpBackend(
  name: BackendName,
  onDeviceFailure: (reason: string) => void = () => {},
): Promise<BackendSetup> {
  try {
    let adapter: AdapterDescription | null = null;
    if (name === 'webgpu') {
      const probe = await probeWebGpu();
      if (!probe.ok) return probe;
      adapter = adapterDescription(probe.info);
      registerWebGpuBackend();
    }
    install(name, adapter === null ? undefined : webGpuPolicyFor(adapter));
    const started = name === 'wasm' ? await startWasm() : await tf.setBackend(name);
    if (!started) return { ok: false, reason: `The ${name} backend failed to initialise.` };
    await tf.ready();
    if (tf.getBackend() !== name) return { ok: false, reason: `tfjs started ${tf.getBackend()} instead of ${name}.` };
    if (name === 'wasm') return { ok: true, adapter: await describeWasm(), fence: immediateFence };
    if (name !== 'webgpu') return { ok: true, adapter, fence: immediateFence };
    const backend = tf.backend() as WebGPUBackend;
    void backend.device.lost.then((info) => onDeviceFailure(`The GPU device was lost (${info.message || info.reason || 'unknown reason'})`));
    backend.device.addEventListener('uncapturederror', (event) => {
      onDeviceFailure(`The GPU reported an error (${(event as GPUUncapturedErrorEvent).error.message})`);
    });
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
