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

  it('refuses bad arguments with a message', async () => {
    const result = await bench('--batches', '0,x');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('bench: --batches must be positive integers, not "0,x"');
  });
});
