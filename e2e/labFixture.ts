import { type Page, expect } from '@playwright/test';
import { DEFAULT_CONFIG } from '../src/config/trainConfig';
import { PlaygroundPage } from './app';

const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const LAB_BATCH_SIZES = [8, 32, 128, 512];

/**
 * A finished four-run batch-size lab as an export file: importing it puts the lab's charts, the runs table and the
 * confusion matrix on the page without training anything.
 */
function finishedLab(): Buffer {
  const runs = LAB_BATCH_SIZES.map((batchSize, index) => {
    const config = { ...DEFAULT_CONFIG, batchSize, epochs: 3, trainSubset: 2000, testSubset: 500, resolution: 32, width: 0.25 };
    const epochs = [1, 2, 3].map((epoch) => ({
      epoch,
      trainLoss: 2.3 - (0.3 * epoch) / (index + 1),
      trainAccuracy: 0.2 + 0.1 * epoch,
      testAccuracy: 0.2 + 0.09 * epoch - 0.02 * index,
      examplesPerSecond: 100 * (index + 1),
      trainSeconds: 20 / (index + 1),
      epochSeconds: 22 / (index + 1),
      step: epoch * Math.ceil(2000 / batchSize),
      examplesSeen: epoch * 2000,
      elapsedSeconds: (epoch * 22) / (index + 1),
      numTensors: 300,
    }));
    const evaluation = {
      epoch: 3,
      accuracy: 0.47,
      classes: CLASSES,
      side: 28,
      channels: 1,
      confusion: CLASSES.map((_, label) => CLASSES.map((__, predicted) => (label === predicted ? 30 : 2))),
      misclassified: [{ index: 4, label: 6, predicted: 0, pixels: new Array<number>(28 * 28).fill(128) }],
    };
    return {
      id: `run-layout-${batchSize}`,
      name: '',
      config,
      backend: 'webgpu',
      adapter: null,
      status: 'done',
      startedAt: Date.UTC(2025, 0, 1, 9, index),
      warmupSeconds: 5,
      epochs,
      batchLosses: [],
      error: null,
      group: 'Batch-size lab #1',
      evaluation,
      dataset: null,
      startedFrom: null,
    };
  });
  return Buffer.from(JSON.stringify({ format: 'googlenet-playground-runs', version: 3, runs }));
}

/** Opens the page and imports a finished lab; outside presenter view the lab's tab is shown. */
export async function openWithLab(page: Page, query: string): Promise<void> {
  const app = new PlaygroundPage(page);
  await page.goto(`/${query}`);
  const presenter = new URLSearchParams(query).get('present') === '1';
  if (!presenter) await app.show('Runs');
  await page.getByLabel(/Import runs/).setInputFiles({ name: 'lab.json', mimeType: 'application/json', buffer: finishedLab() });
  if (!presenter) await app.show('Batch-size lab');
  const lab = page.getByRole('region', { name: 'Batch-size lab' });
  await expect(lab.getByTestId('lab-row')).toHaveCount(LAB_BATCH_SIZES.length);
  // Recharts draws once it has measured its box: the bars are the last thing to appear.
  await expect(lab.getByTestId('throughput-chart').locator('.recharts-bar-rectangle')).toHaveCount(LAB_BATCH_SIZES.length);
  await expect(page.getByTestId('confusion-matrix')).toHaveCount(1);
}
