import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgpu';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_CONV_POLICY, UNTUNED_GPU_POLICY } from './convStrategy';
import { KERNEL_TABLE, TFJS_WEBGPU_POLICY, type WebGpuPolicy, install, markdownTable } from './trainingKernels';

const SHADERS: WebGpuPolicy = { ...UNTUNED_GPU_POLICY, batchNorm: 'shaders', update: 'shaders', globalPool: 'shader', replay: true };

/** What the registry holds for every kernel the table names on `backend`, and the Relu gradient. */
function registry(backend: string) {
  const kernels = KERNEL_TABLE.filter((row) => row.backend === backend).map((row) => [row.kernel, tf.getKernel(row.kernel, backend)] as const);
  return { kernels: new Map(kernels), reluGradient: tf.getGradient('Relu') };
}

describe('the kernel table', () => {
  it.each([
    ['cpu', undefined],
    ['wasm', undefined],
    ['webgpu', SHADERS],
    ['webgpu', { ...BUILTIN_CONV_POLICY, batchNorm: 'shaders', update: 'ops', globalPool: 'tfjs', replay: false } satisfies WebGpuPolicy],
  ] as const)("installs %s's rows and puts tfjs's own kernels and gradients back when uninstalled", (backend, policy) => {
    const before = registry(backend);
    expect(before.kernels.size).toBeGreaterThan(0);
    const uninstall = install(backend, policy);
    const during = registry(backend);
    for (const [kernel, config] of during.kernels) {
      const skipped =
        backend === 'webgpu' && ((policy?.update === 'ops' && kernel === 'PlaygroundSgdUpdate') || (policy?.globalPool === 'tfjs' && kernel === 'Mean'));
      if (skipped) expect(config, kernel).toBe(before.kernels.get(kernel));
      else expect(config, kernel).not.toBe(before.kernels.get(kernel));
    }
    expect(during.reluGradient).not.toBe(before.reluGradient);
    uninstall();
    const after = registry(backend);
    for (const [kernel, config] of after.kernels) expect(config, kernel).toBe(before.kernels.get(kernel));
    expect(after.reluGradient).toBe(before.reluGradient);
  });

  it('installing again replaces the earlier policy, and one uninstall restores the originals', () => {
    const original = tf.getKernel('Conv2DBackpropFilter', 'webgpu');
    install('webgpu', SHADERS);
    const first = tf.getKernel('Conv2DBackpropFilter', 'webgpu');
    const uninstall = install('webgpu', TFJS_WEBGPU_POLICY);
    expect(tf.getKernel('Conv2DBackpropFilter', 'webgpu')).not.toBe(first);
    expect(tf.getKernel('PlaygroundBatchNormTraining', 'webgpu')).toBeUndefined();
    uninstall();
    expect(tf.getKernel('Conv2DBackpropFilter', 'webgpu')).toBe(original);
  });

  it('keeps a gradient replaced while another backend still has its rows installed', () => {
    const original = tf.getGradient('Relu');
    const uninstallCpu = install('cpu');
    const uninstallWasm = install('wasm');
    uninstallCpu();
    expect(tf.getGradient('Relu')).not.toBe(original);
    uninstallWasm();
    expect(tf.getGradient('Relu')).toBe(original);
  });

  it("is the table the README's Architecture section shows", () => {
    const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
    expect(readme).toContain(markdownTable());
  });

  it('is the only module that registers kernels or gradients', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
    const registering = files(join(__dirname, '..'))
      .filter((path) => /\.tsx?$/.test(path) && !/\.test\.tsx?$/.test(path))
      .filter((path) => /\bregister(Kernel|Gradient)\(/.test(readFileSync(path, 'utf8')));
    expect(registering.map((path) => path.slice(path.indexOf('src/')))).toEqual(['src/train/trainingKernels.ts']);
  });
});
