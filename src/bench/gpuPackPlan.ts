/**
 * What gpu-pack/ holds (src/bench/gpuPack.ts builds it, src/bench/gpuPackRun.sh runs it), and the checks its
 * manifest must pass: every part present, the whole within the budget the GPU machine's copy allows beside the
 * working tree.
 */

/** The pack's limit: the machine receives at most 64 MiB, the working tree included. */
export const GPU_PACK_LIMIT_BYTES = 60 * 2 ** 20;

/** Debian packages whose libraries let Dawn reach the GPU's Vulkan driver: the loader, and glvnd for NVIDIA's ICD. */
export const VULKAN_PACKAGES = ['libvulkan1', 'libglvnd0', 'libegl1', 'libgl1', 'libglx0', 'libopengl0', 'libgles2'] as const;

export interface PackPart {
  file: string;
  holds: string;
}

/** The files of the pack, in the order run.sh uses them; run.sh unpacks node.xz and each archive into one directory. */
export const PACK_PARTS: readonly PackPart[] = [
  { file: 'run.sh', holds: 'the measurement: unpack, find the adapter, run each part under its own time limit' },
  { file: 'node.xz', holds: 'Node for linux-x64 (the builder’s own, stripped)' },
  { file: 'webgpu.tar.xz', holds: "node_modules/webgpu: Dawn's WebGPU for Node (dawn.node) and its loader" },
  { file: 'js.tar.xz', holds: 'js/bench.mjs and js/reproduce.mjs: npm run bench and npm run reproduce, bundled for Node' },
  { file: 'lib.tar.xz', holds: `lib/: the Vulkan loader and glvnd libraries of ${VULKAN_PACKAGES.join(', ')}` },
];

export interface PackEntry extends PackPart {
  bytes: number;
  sha256: string;
}

export interface PackManifest {
  builtAt: string;
  gitHead: string;
  node: string;
  entries: PackEntry[];
}

/** What is wrong with a manifest, in words; empty when nothing is. */
export function checkManifest(manifest: PackManifest): string[] {
  const problems: string[] = [];
  const files = manifest.entries.map((e) => e.file);
  for (const part of PACK_PARTS) if (!files.includes(part.file)) problems.push(`${part.file} is missing`);
  for (const file of files) if (!PACK_PARTS.some((p) => p.file === file)) problems.push(`${file} is not a part of the pack`);
  for (const entry of manifest.entries) {
    if (!(entry.bytes > 0)) problems.push(`${entry.file} is empty`);
    if (!/^[0-9a-f]{64}$/.test(entry.sha256)) problems.push(`${entry.file} has no sha256`);
  }
  const total = manifest.entries.reduce((sum, e) => sum + e.bytes, 0);
  if (total > GPU_PACK_LIMIT_BYTES) problems.push(`the pack holds ${(total / 2 ** 20).toFixed(1)} MiB, over ${GPU_PACK_LIMIT_BYTES / 2 ** 20} MiB`);
  return problems;
}
