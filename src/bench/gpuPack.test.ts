import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GPU_PACK_LIMIT_BYTES, PACK_PARTS, type PackManifest, checkManifest } from './gpuPackPlan';

const RUN_SCRIPT = new URL('./gpuPackRun.sh', import.meta.url).pathname;
const BUILT = new URL('../../gpu-pack/manifest.json', import.meta.url).pathname;

const manifestOf = (bytes: (file: string) => number): PackManifest => ({
  builtAt: '2026-12-04T00:00:00Z',
  gitHead: 'abc',
  node: 'v20.20.2',
  entries: PACK_PARTS.map((part) => ({ ...part, bytes: bytes(part.file), sha256: 'a'.repeat(64) })),
});

describe("the GPU pack's manifest", () => {
  it('passes with every part, each with bytes and a sha256, within the budget', () => {
    expect(checkManifest(manifestOf(() => 5 * 2 ** 20))).toEqual([]);
  });

  it('names a missing part, a stranger, an empty part and a pack over the budget', () => {
    const full = manifestOf(() => 1000);
    expect(checkManifest({ ...full, entries: full.entries.filter((e) => e.file !== 'node.xz') })).toEqual(['node.xz is missing']);
    expect(checkManifest({ ...full, entries: [...full.entries, { file: 'extra.bin', holds: '?', bytes: 1, sha256: 'b'.repeat(64) }] })).toEqual([
      'extra.bin is not a part of the pack',
    ]);
    expect(checkManifest(manifestOf((file) => (file === 'run.sh' ? 0 : 1000)))).toEqual(['run.sh is empty']);
    expect(checkManifest(manifestOf(() => GPU_PACK_LIMIT_BYTES))).toEqual([
      `the pack holds ${((GPU_PACK_LIMIT_BYTES * PACK_PARTS.length) / 2 ** 20).toFixed(1)} MiB, over 60 MiB`,
    ]);
  });

  it("is what run.sh unpacks, and run.sh is valid bash", () => {
    const script = readFileSync(RUN_SCRIPT, 'utf8');
    for (const { file } of PACK_PARTS.filter((p) => p.file !== 'run.sh')) {
      const name = file.replace(/\.tar\.xz$/, '');
      expect(script.includes(`'${file}'`) || script.includes(`'${name}'`), file).toBe(true);
    }
    expect(() => execFileSync('bash', ['-n', RUN_SCRIPT])).not.toThrow();
  });

  it.runIf(existsSync(BUILT))('of the pack built here passes its checks', () => {
    expect(checkManifest(JSON.parse(readFileSync(BUILT, 'utf8')) as PackManifest)).toEqual([]);
  });
});
