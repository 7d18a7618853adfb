/**
 * `npm run gpu:pack`: builds gpu-pack/, everything a GPU server without Node or a browser needs to measure the app
 * (bash gpu-pack/run.sh OUTDIR; see src/bench/gpuPackRun.sh): Node itself, Dawn's WebGPU for Node (the webgpu
 * package's dawn.node), the benchmark and reproduction entry points bundled for Node, and the Vulkan loader and glvnd
 * libraries from Debian's packages. Compressed with xz: the machine receives the working tree and gpu-pack/ together,
 * 64 MiB at most, and the tree itself is ~35 MiB (most of it Fashion-MNIST).
 *
 *   npm run gpu:pack [-- --out gpu-pack]
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { GPU_PACK_LIMIT_BYTES, type PackEntry, type PackManifest, PACK_PARTS, VULKAN_PACKAGES, checkManifest } from './gpuPackPlan';

const ROOT = new URL('../../', import.meta.url).pathname;

const { values: args } = parseArgs({ options: { out: { type: 'string', default: join(ROOT, 'gpu-pack') } } });

const run = (command: string, commandArgs: string[], cwd?: string) => execFileSync(command, commandArgs, { cwd, stdio: ['ignore', 'pipe', 'inherit'] });

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** The two entry points for Node, sharing one chunk of the app's code; browser-only imports stay out. */
async function bundle(into: string): Promise<void> {
  const { build } = await import('esbuild');
  await build({
    entryPoints: { bench: join(ROOT, 'src/bench/cli.ts'), reproduce: join(ROOT, 'src/bench/reproduce.ts') },
    outdir: into,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outExtension: { '.js': '.mjs' },
    // Dawn's binding is unpacked beside the bundle; Chromium's drivers are never loaded in Node.
    external: ['webgpu', '@playwright/test', 'vite'],
    // tfjs's wasm glue is CommonJS: the bundle gives it Node's require.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    plugins: [
      {
        // Vite's `?url` imports (the wasm binaries' addresses in a browser) are never reached in Node.
        name: 'vite-url-imports',
        setup(builder) {
          builder.onResolve({ filter: /\?url$/ }, (resolved) => ({ path: resolved.path, namespace: 'vite-url' }));
          builder.onLoad({ filter: /.*/, namespace: 'vite-url' }, () => ({ contents: 'export default "";', loader: 'js' }));
        },
      },
    ],
    logLevel: 'warning',
  });
}

/** Debian's Vulkan loader and glvnd libraries, unpacked from their packages (apt-get download needs no root). */
function vulkanLibraries(into: string, scratch: string): void {
  const downloads = join(scratch, 'debs');
  mkdirSync(downloads, { recursive: true });
  run('apt-get', ['download', ...VULKAN_PACKAGES], downloads);
  const unpacked = join(scratch, 'root');
  for (const deb of readdirSync(downloads)) run('dpkg', ['-x', join(downloads, deb), unpacked]);
  const libraries = join(unpacked, 'usr/lib/x86_64-linux-gnu');
  mkdirSync(into, { recursive: true });
  for (const name of readdirSync(libraries)) if (/\.so(\.\d+)*$/.test(name)) run('cp', ['-P', join(libraries, name), into]);
}

/** The webgpu package as Node resolves it: its loader, its manifest and the linux-x64 binary. */
function webgpuPackage(into: string): void {
  const source = join(ROOT, 'node_modules/webgpu');
  const target = join(into, 'node_modules/webgpu');
  mkdirSync(join(target, 'dist/linux-x64'), { recursive: true });
  for (const file of ['index.js', 'package.json', 'LICENSE.md']) copyFileSync(join(source, file), join(target, file));
  copyFileSync(join(source, 'dist/linux-x64/dawn.node'), join(target, 'dist/linux-x64/dawn.node'));
}

function xzTar(name: string, directory: string, into: string): string {
  const file = join(into, `${name}.tar.xz`);
  run('tar', ['-cJf', file, '-C', directory, '.']);
  return file;
}

async function main(): Promise<void> {
  const out = args.out;
  const scratch = mkdtempSync(join(tmpdir(), 'gpu-pack-'));
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  try {
    const js = join(scratch, 'js');
    console.log('gpu:pack: bundling the benchmark and the reproduction for Node');
    await bundle(join(js, 'js'));
    const webgpu = join(scratch, 'webgpu');
    webgpuPackage(webgpu);
    const lib = join(scratch, 'lib');
    console.log(`gpu:pack: Vulkan and glvnd libraries from ${VULKAN_PACKAGES.join(', ')}`);
    vulkanLibraries(join(lib, 'lib'), scratch);
    console.log(`gpu:pack: Node ${process.version}, stripped and compressed (about a minute)`);
    const node = join(scratch, 'node');
    try {
      run('strip', ['-o', node, process.execPath]);
    } catch {
      copyFileSync(process.execPath, node);
    }
    run('xz', ['-9', '-T0', '-f', node]);
    copyFileSync(`${node}.xz`, join(out, 'node.xz'));
    xzTar('js', js, out);
    xzTar('webgpu', webgpu, out);
    xzTar('lib', lib, out);
    copyFileSync(join(ROOT, 'src/bench/gpuPackRun.sh'), join(out, 'run.sh'));
    const entries: PackEntry[] = PACK_PARTS.map((part) => {
      const path = join(out, part.file);
      return { ...part, bytes: statSync(path).size, sha256: sha256(path) };
    });
    const gitHead = run('git', ['rev-parse', 'HEAD'], ROOT).toString().trim();
    const manifest: PackManifest = { builtAt: new Date().toISOString(), gitHead, node: process.version, entries };
    const problems = checkManifest(manifest);
    writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    for (const entry of entries) console.log(`  ${entry.file.padEnd(14)} ${(entry.bytes / 2 ** 20).toFixed(1).padStart(6)} MiB  ${entry.holds}`);
    const total = entries.reduce((sum, e) => sum + e.bytes, 0);
    console.log(`gpu:pack: ${basename(out)}/ holds ${(total / 2 ** 20).toFixed(1)} MiB of at most ${GPU_PACK_LIMIT_BYTES / 2 ** 20}`);
    if (problems.length > 0) throw new Error(problems.join('; '));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  if (!existsSync(join(out, 'run.sh'))) throw new Error('no run.sh in the pack');
}

try {
  await main();
} catch (error) {
  console.error(`gpu:pack: ${(error as Error).message}`);
  process.exit(1);
}
