import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = dirname(fileURLToPath(import.meta.url));

/**
 * The app's layers, bottom up: a module may import its own layer and those below it, never one above. Tests are
 * exempt (a parity test may call the training loss), so are the benchmarks, which drive the whole app.
 */
const LAYER: Record<string, number> = {
  domain: 0,
  config: 0,
  data: 1,
  model: 1,
  train: 2,
  experiments: 3,
  worker: 4,
  ui: 5,
  'App.tsx': 5,
  'main.tsx': 6,
};

/** Layers that share a level still may not import each other: each of these stands on its own. */
const SELF_CONTAINED = new Set(['domain', 'config', 'data', 'model']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

const layerOf = (path: string): string => {
  const top = relative(SRC, path).split('/')[0]!;
  return top === 'App' ? 'App.tsx' : top;
};

interface Import {
  from: string;
  target: string;
}

function importsOf(path: string): Import[] {
  const text = readFileSync(path, 'utf8');
  return [...text.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'/gm)].map((match) => ({
    from: relative(SRC, path),
    target: match[1]!,
  }));
}

const files = sourceFiles(SRC).filter((path) => layerOf(path) in LAYER);
const imports = files.flatMap(importsOf);

describe('the layers', () => {
  it('finds the modules and their imports', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(imports.filter((i) => i.target.startsWith('.')).length).toBeGreaterThan(100);
  });

  it('have no import that runs up, nor across between self-contained layers', () => {
    const upward = imports
      .filter((i) => i.target.startsWith('.'))
      .filter((i) => {
        const from = layerOf(join(SRC, i.from));
        const to = layerOf(resolve(dirname(join(SRC, i.from)), i.target));
        if (!(to in LAYER) || to === from) return false;
        return LAYER[to]! > LAYER[from]! || (LAYER[to] === LAYER[from] && SELF_CONTAINED.has(from) && from !== 'domain');
      })
      .map((i) => `${i.from} -> ${i.target}`);
    expect(upward).toEqual([]);
  });

  it('keep the domain to types over the settings, tfjs out of the page, and React out of the model and the loop', () => {
    const offending = imports
      .filter(({ from, target }) => {
        const layer = layerOf(join(SRC, from));
        if (layer === 'domain') return !target.startsWith('./') && target !== '../config/trainConfig';
        if (layer === 'ui' || layer === 'App.tsx') return target.startsWith('@tensorflow/');
        if (['data', 'model', 'train', 'config'].includes(layer)) return target === 'react' || target.startsWith('react-');
        return false;
      })
      .map((i) => `${i.from} -> ${i.target}`);
    expect(offending).toEqual([]);
  });
});
