import type { AdapterDescription } from '../domain/backend';
import { type AdapterTables, SHIPPED_TABLES } from '../train/convStrategy';
import { TFJS_WEBGPU_POLICY, type WebGpuPolicy, install } from '../train/trainingKernels';
import { webGpuPolicyFor } from '../worker/backend';

/**
 * The WebGPU kernel policies the benchmark compares, by name, each adding to the one before:
 * - tfjs: tfjs's own kernels everywhere, batch norm and SGD as its ops (the step tfjs alone would run);
 * - shaders: our batch-norm, SGD and global-pool shaders, tfjs's convolutions;
 * - tables: and the convolutions by this adapter's tuned tables (or, on an untuned GPU, the defaults);
 * - app: and the step recorded once and replayed: what the app runs.
 */
export const BENCH_POLICIES = ['tfjs', 'shaders', 'tables', 'app'] as const;
export type BenchPolicy = (typeof BENCH_POLICIES)[number];

export function isBenchPolicy(name: string): name is BenchPolicy {
  return (BENCH_POLICIES as readonly string[]).includes(name);
}

export function webGpuPolicyNamed(name: BenchPolicy, adapter: AdapterDescription, tables: readonly AdapterTables[] = SHIPPED_TABLES): WebGpuPolicy {
  switch (name) {
    case 'tfjs':
      return TFJS_WEBGPU_POLICY;
    case 'shaders':
      return { ...TFJS_WEBGPU_POLICY, batchNorm: 'shaders', update: 'shaders', globalPool: 'shader' };
    case 'tables':
      return { ...webGpuPolicyFor(adapter, tables), replay: false };
    case 'app':
      return webGpuPolicyFor(adapter, tables);
  }
}

/** Installs the named policy on WebGPU (other backends have one set of kernels, which their set-up installed). */
export function usePolicy(backend: string, name: BenchPolicy, adapter: AdapterDescription | null, tables?: readonly AdapterTables[]): void {
  if (backend === 'webgpu' && adapter !== null) install('webgpu', webGpuPolicyNamed(name, adapter, tables));
}
