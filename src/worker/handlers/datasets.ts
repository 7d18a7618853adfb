import type { ImageDataset, LabelledImages } from '../../data/dataset';
import { type ByteSource, FASHION_MNIST_FILES, type LoadProgress, loadFashionMnist } from '../../data/fashionMnist';
import { encodeIdx } from '../../data/idx';
import type { DataFile } from '../../experiments/pytorchExperiment';
import type { DatasetInfo } from '../../domain/dataset';
import { type ImportSource, importDataset } from '../importDataset';
import type { DatasetRecords } from './stores';

/** Fashion-MNIST, loaded once, and the imported datasets, written to and read back from IndexedDB. */
export class Datasets {
  private fashionMnist: { dataset: ImageDataset; source: ByteSource } | null = null;
  /** The last imported dataset a run or a prediction used, kept while the next one asks for the same. */
  private imported: { id: string; dataset: ImageDataset } | null = null;

  constructor(private readonly records: () => Promise<DatasetRecords>) {}

  async loadFashionMnist(source: ByteSource, onProgress: LoadProgress): Promise<{ trainCount: number; testCount: number }> {
    const data = await loadFashionMnist(source, onProgress);
    this.fashionMnist = { dataset: data, source };
    return { trainCount: data.train.count, testCount: data.test.count };
  }

  /** Fashion-MNIST without an id, else the imported dataset of that id. */
  async datasetFor(datasetId: string | undefined): Promise<ImageDataset> {
    if (datasetId === undefined) {
      if (this.fashionMnist === null) throw new Error('The worker is not ready: Fashion-MNIST has not loaded (or failed to).');
      return this.fashionMnist.dataset;
    }
    if (this.imported?.id === datasetId) return this.imported.dataset;
    const dataset = await (await this.records()).load(datasetId);
    if (dataset === undefined) throw new Error('This imported dataset is no longer stored (was it removed?).');
    this.imported = { id: datasetId, dataset };
    return dataset;
  }

  /**
   * A dataset's four IDX files for an exported experiment: Fashion-MNIST's own gzipped files read again (the browser
   * has them cached), or an imported dataset's stored images, written as IDX at their stored side and channels.
   */
  async experimentData(datasetId: string | undefined): Promise<DataFile[]> {
    if (datasetId === undefined) {
      if (this.fashionMnist === null) throw new Error('The worker is not ready: Fashion-MNIST has not loaded (or failed to).');
      const { source } = this.fashionMnist;
      const roles = Object.keys(FASHION_MNIST_FILES) as (keyof typeof FASHION_MNIST_FILES)[];
      return Promise.all(
        roles.map(async (role) => {
          const { name } = FASHION_MNIST_FILES[role];
          return { role, name, bytes: await source(name, () => {}) };
        }),
      );
    }
    const { side, channels, train, test } = await this.datasetFor(datasetId);
    const images = (split: LabelledImages) => encodeIdx(channels === 1 ? [split.count, side, side] : [split.count, side, side, channels], split.images);
    const imageFile = channels === 1 ? 'images-idx3-ubyte' : 'images-idx4-ubyte';
    return [
      { role: 'trainImages', name: `train-${imageFile}`, bytes: images(train) },
      { role: 'trainLabels', name: 'train-labels-idx1-ubyte', bytes: encodeIdx([train.count], train.labels) },
      { role: 'testImages', name: `test-${imageFile}`, bytes: images(test) },
      { role: 'testLabels', name: 'test-labels-idx1-ubyte', bytes: encodeIdx([test.count], test.labels) },
    ];
  }

  async import(
    name: string,
    source: ImportSource,
    onProgress: (decoded: number, total: number) => void,
    maxBufferBytes: number | undefined,
  ): Promise<DatasetInfo> {
    const { info, train, test } = await importDataset(name, source, onProgress, maxBufferBytes);
    await (await this.records()).save(info, { train, test });
    return info;
  }
}
