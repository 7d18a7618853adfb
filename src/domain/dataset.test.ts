import { describe, expect, it } from 'vitest';
import { type DatasetInfo, datasetRef, datasetShape } from './dataset';

const imported: DatasetInfo = {
  id: 'dataset-1',
  name: 'shapes',
  classes: ['circle', 'square'],
  side: 64,
  channels: 3,
  trainCounts: [40, 40],
  valCounts: [10, 10],
  splitMade: true,
  skipped: [{ path: 'notes.txt', reason: 'not an image' }],
  thumbnails: [[0, 0, 0], [255, 255, 255]],
  createdAt: 1,
};

describe('the dataset description', () => {
  it('gives a run record its reference and the network its shape, without the counts, thumbnails or skipped files', () => {
    expect(datasetRef(imported)).toEqual({ id: 'dataset-1', name: 'shapes', classes: ['circle', 'square'], side: 64, channels: 3 });
    expect(datasetShape(imported)).toEqual({ classes: ['circle', 'square'], side: 64, channels: 3 });
  });
});
