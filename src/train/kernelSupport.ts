import * as tf from '@tensorflow/tfjs';

/**
 * What the training kernels share: finding an input, running a backend's own kernels with their intermediates
 * freed, and keeping the kernels a registration replaces so that it can be undone (trainingKernels.ts installs them).
 */

export type Info = tf.TensorInfo;

export function inputOf(inputs: tf.NamedTensorInfoMap, name: string): Info {
  const info = inputs[name];
  if (info === undefined) throw new Error(`A training kernel is missing its input ${name}.`);
  return info;
}

/** Runs one backend's registered kernels and frees the intermediates they make, however the kernel ends. */
export class KernelScope {
  private readonly temporaries: Info[] = [];

  constructor(
    readonly backend: tf.KernelBackend,
    private readonly backendName: string,
    private readonly kernels: ReadonlyMap<string, tf.KernelFunc>,
  ) {}

  /** An intermediate, freed when the kernel returns. */
  run(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): Info {
    return this.keep(this.result(name, inputs, attrs));
  }

  /** Frees `info` with the other intermediates: for tensors made outside `run`, by a backend's own program. */
  keep(info: Info): Info {
    this.temporaries.push(info);
    return info;
  }

  /** The kernel's output, which the engine takes over. */
  result(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): Info {
    const kernel = this.kernels.get(name);
    if (kernel === undefined) throw new Error(`The ${this.backendName} backend has no ${name} kernel.`);
    const output = kernel({ inputs, backend: this.backend, attrs });
    if (Array.isArray(output)) throw new Error(`The ${this.backendName} ${name} kernel returned ${output.length} tensors, not one.`);
    return output;
  }

  reshape(x: Info, shape: number[]): Info {
    return this.run('Reshape', { x }, { shape });
  }

  transpose(x: Info, perm: number[]): Info {
    return this.run('Transpose', { x }, { perm });
  }

  dispose(): void {
    for (const info of this.temporaries) this.backend.disposeData(info.dataId);
  }
}


/**
 * tfjs's own kernels of one backend, read from the registry before anything replaced them: a tuned kernel registered
 * under the name Conv2D must still reach tfjs's Conv2D. Filled the first time a name is asked for, which the kernel
 * table does before it installs anything.
 */
const originals = new Map<string, tf.KernelConfig | null>();

export function originalKernel(name: string, backend: string): tf.KernelConfig | undefined {
  const key = `${backend}/${name}`;
  if (!originals.has(key)) originals.set(key, tf.getKernel(name, backend) ?? null);
  return originals.get(key) ?? undefined;
}

/** The original kernels' functions, for a KernelScope; throws if the backend lacks one. */
export function originalKernels(names: readonly string[], backend: string): ReadonlyMap<string, tf.KernelFunc> {
  return new Map(
    names.map((name) => {
      const config = originalKernel(name, backend);
      if (config === undefined) throw new Error(`tfjs's ${backend} backend has no ${name} kernel.`);
      return [name, config.kernelFunc];
    }),
  );
}
