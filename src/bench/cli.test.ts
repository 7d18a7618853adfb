import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;

async function bench(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('npx', ['tsx', 'src/bench/cli.ts', ...args], { cwd: ROOT, timeout: 600_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function dawnHasAdapter(): Promise<boolean> {
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  return (await create([]).requestAdapter()) !== null;
}

describe('npm run bench', () => {
  it('in Node, says exactly that no adapter is usable and exits non-zero, or measures when one is', async () => {
    const result = await bench('--runtime', 'node', '--models', 'reduced', '--batches', '2', '--steps', '1');
    if (await dawnHasAdapter()) {
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^node\s+reduced 32px w0\.25\s+2\s+\d/m);
    } else {
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        'bench: no usable WebGPU adapter in Node (Dawn): WebGPU is present but no GPU adapter is available.',
      );
    }
  });

  it('profiles one training step on wasm in Node: every convolution pass appears, custom-gradient scopes do not', async () => {
    const result = await bench('--profile', '--runtime', 'node', '--backend', 'wasm', '--models', 'classroom', '--batches', '2', '--steps', '1');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^node · wasm \(WebAssembly · .+\) · classroom 32px w0\.25 BN, batch 2$/m);
    for (const kernel of ['FusedConv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPoolGrad', 'PlaygroundBatchNormGradient']) {
      expect(result.stdout).toMatch(new RegExp(`^\\s+[\\d.]+ %\\s+[\\d.]+\\s+\\d+  ${kernel} \\(`, 'm'));
    }
    expect(result.stdout).toMatch(/^custom-gradient scopes left out of the sums .*batchNormTraining__op.*trainingConvolution__op/m);
    expect(result.stdout).not.toMatch(/^\s+[\d.]+ %\s+[\d.]+\s+\d+  trainingConvolution__op/m);
  });

  it('refuses a backend it cannot profile', async () => {
    const result = await bench('--profile', '--runtime', 'node', '--backend', 'webgl');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('bench: --profile measures webgpu, wasm, cpu, not "webgl"');
  });

  it('refuses bad arguments with a message', async () => {
    const result = await bench('--batches', '0,x');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('bench: --batches must be positive integers, not "0,x"');
  });
});
