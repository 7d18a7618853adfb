import { strToU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../config/trainConfig';
import { BROWSER_WEIGHTS_FILE, type DataFile, EXPERIMENT_FORMAT, experimentArchive, fileSafeName } from './pytorchExperiment';

const data: DataFile[] = [
  { role: 'trainImages', name: 'train-images-idx3-ubyte.gz', bytes: Uint8Array.of(0x1f, 0x8b, 1) },
  { role: 'trainLabels', name: 'train-labels-idx1-ubyte.gz', bytes: Uint8Array.of(0x1f, 0x8b, 2) },
  { role: 'testImages', name: 't10k-images-idx3-ubyte.gz', bytes: Uint8Array.of(0x1f, 0x8b, 3) },
  { role: 'testLabels', name: 't10k-labels-idx1-ubyte.gz', bytes: Uint8Array.of(0x1f, 0x8b, 4) },
];
const dataset = { name: 'Fashion-MNIST', classes: ['a', 'b'], side: 28, channels: 1 };
const config = { ...DEFAULT_CONFIG, batchSize: 32, trainSubset: 1024 };

describe('experimentArchive', () => {
  it('holds one folder with the script, its README and requirements, config.json pointing at the data, and the weights', () => {
    const { fileName, bytes } = experimentArchive({ name: 'bs 32 / lr 0.05', config, dataset, data, weights: strToU8('weights') });
    expect(fileName).toBe('bs-32-lr-0.05.zip');
    const files = unzipSync(bytes);
    const folder = 'bs-32-lr-0.05';
    expect(Object.keys(files).sort()).toEqual(
      [
        'README.md',
        'train.py',
        'requirements.txt',
        'config.json',
        BROWSER_WEIGHTS_FILE,
        ...data.map((f) => `data/${f.name}`),
      ]
        .map((name) => `${folder}/${name}`)
        .sort(),
    );
    expect(new TextDecoder().decode(files[`${folder}/train.py`]!)).toContain('DistributedDataParallel');
    expect(new TextDecoder().decode(files[`${folder}/requirements.txt`]!).trim()).toMatch(/^torch/);
    const written = JSON.parse(new TextDecoder().decode(files[`${folder}/config.json`]!));
    expect(written).toEqual({
      format: EXPERIMENT_FORMAT,
      version: 1,
      name: 'bs 32 / lr 0.05',
      config,
      dataset: { ...dataset, files: Object.fromEntries(data.map((f) => [f.role, `data/${f.name}`])) },
    });
    expect([...files[`${folder}/data/${data[2]!.name}`]!]).toEqual([...data[2]!.bytes]);
  });

  it('leaves the weights out when the run has none, and refuses an experiment without all four data files', () => {
    const files = unzipSync(experimentArchive({ name: 'x', config, dataset, data, weights: null }).bytes);
    expect(Object.keys(files).some((name) => name.endsWith('.safetensors'))).toBe(false);
    expect(() => experimentArchive({ name: 'x', config, dataset, data: data.slice(1), weights: null })).toThrow(/no trainImages file/);
  });

  it('makes a folder name of any run name', () => {
    expect(fileSafeName('  ')).toBe('googlenet');
    expect(fileSafeName('ç/ü run')).toBe('run');
  });
});
