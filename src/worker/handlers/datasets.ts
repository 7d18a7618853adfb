import type { ImageDataset } from '../../data/dataset';
import { type ByteSource, type LoadProgress, loadFashionMnist } from '../../data/fashionMnist';
import type { DatasetInfo } from '../../domain/dataset';
import { type ImportSource, importDataset } from '../importDataset';
import type { DatasetRecords } from './stores';

/** Fashion-MNIST, loaded once, and the imported datasets, written to and read back from IndexedDB. */
export class Datasets {
  private fashionMnist: ImageDataset | null = null;
  /** The last imported dataset a run or a prediction used, kept while the next one asks for the same. */
  private imported: { id: string; dataset: ImageDataset } | null = null;

  constructor(private readonly records: () => Promise<DatasetRecords>) {}

  async loadFashionMnist(source: ByteSource, onProgress: LoadProgress): Promise<{ trainCount: number; testCount: number }> {
    const data = await loadFashionMnist(source, onProgress);
    this.fashionMnist = data;
    return { trainCount: data.train.count, testCount: data.test.count };
  }

  /** Fashion-MNIST without an id, else the imported dataset of that id. */
  async datasetFor(datasetId: string | undefined): Promise<ImageDataset> {
    if (datasetId === undefined) {
      if (this.fashionMnist === null) throw new Error('The worker is not ready: Fashion-MNIST has not loaded (or failed to).');
      return this.fashionMnist;
    }
    if (this.imported?.id === datasetId) return this.imported.dataset;
    const dataset = await (await this.records()).load(datasetId);
    if (dataset === undefined) throw new Error('This imported dataset is no longer stored (was it removed?).');
    this.imported = { id: datasetId, dataset };
    return dataset;
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
