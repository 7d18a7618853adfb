import { type Locator, type Page, expect, test } from '@playwright/test';
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

async function openWithLab(page: Page, query: string): Promise<void> {
  await page.goto(`/${query}`);
  await page.getByLabel(/Import runs/).setInputFiles({ name: 'lab.json', mimeType: 'application/json', buffer: finishedLab() });
  const lab = page.getByRole('region', { name: 'Batch-size lab' });
  await expect(lab.getByTestId('lab-row')).toHaveCount(LAB_BATCH_SIZES.length);
  // Recharts draws once it has measured its box: the bars are the last thing to appear.
  await expect(lab.getByTestId('throughput-chart').locator('.recharts-bar-rectangle')).toHaveCount(LAB_BATCH_SIZES.length);
  await expect(page.getByTestId('confusion-matrix')).toBeVisible();
}

async function boxOf(locator: Locator) {
  const box = await locator.boundingBox();
  if (box === null) throw new Error(`${locator} is not on the page`);
  return box;
}

/** The page's width beyond the viewport, and the outermost elements that reach past it, for the failure message. */
function sidewaysOverflow(page: Page) {
  return page.evaluate(() => {
    const viewport = document.documentElement.clientWidth;
    const beyond = [...document.body.querySelectorAll('*')].filter((el) => el.getBoundingClientRect().right > viewport + 0.5);
    const outermost = beyond.filter((el) => el.parentElement === null || !beyond.includes(el.parentElement));
    return {
      scrollWidth: document.documentElement.scrollWidth,
      viewport,
      elements: outermost
        .slice(0, 12)
        .map((el) => `${[el.tagName.toLowerCase(), ...el.classList].join('.')} (right ${Math.round(el.getBoundingClientRect().right)})`),
    };
  });
}

for (const [view, query] of [
  ['normal', ''],
  ['presenter', '?present=1'],
] as const) {
  test(`at a phone's width (390 px) nothing in the ${view} view overflows sideways, with the lab, tables and charts shown`, async ({ page }) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await openWithLab(page, query);
    const overflow = await sidewaysOverflow(page);
    expect(overflow.scrollWidth, `reaching past ${overflow.viewport} px: ${overflow.elements.join(', ')}`).toBeLessThanOrEqual(390);
    // The runs table is wider than a phone: it scrolls inside its own box, all its columns kept.
    const runsTable = page.getByRole('region', { name: 'Results' }).locator('.table-scroll');
    expect(await runsTable.evaluate((box) => box.scrollWidth > box.clientWidth)).toBe(true);
  });
}

for (const [width, height] of [
  [1280, 720],
  [1920, 1080],
] as const) {
  test(`presenter view at ${width}×${height}: the lab's curves and throughput fill the first screen, the settings one line`, async ({ page }) => {
    const app = new PlaygroundPage(page);
    await page.setViewportSize({ width, height });
    // Settings that match a d2l preset: its button stays in the settings' line, the longest that line gets.
    await openWithLab(page, '?present=1&bs=64&lr=0.05&epochs=25&train=2000&test=500&res=32&width=0.25');
    await page.evaluate(() => window.scrollTo(0, 0));

    const lab = page.getByRole('region', { name: 'Batch-size lab' });
    for (const chart of ['loss-chart', 'accuracy-chart', 'throughput-chart']) {
      const box = await boxOf(lab.getByTestId(chart));
      expect(box.y, `${chart} starts on the first screen`).toBeGreaterThanOrEqual(0);
      expect(box.y + box.height, `${chart} ends on the first screen`).toBeLessThanOrEqual(height);
    }

    const settings = page.getByRole('region', { name: 'Training settings' });
    const showSettings = settings.getByRole('button', { name: 'Show settings' });
    await expect(app.field('Batch size')).toBeHidden();
    await expect(settings.getByTestId('settings-line')).toContainText(/^bs 64 · lr 0.05 · epochs 25 · /);
    const preset = settings.getByRole('button', { name: 'lr 0.05 · batch 64 · 25 epochs' });
    await expect(preset).toHaveAttribute('aria-pressed', 'true');
    await expect(settings.getByRole('button', { name: 'lr 0.02 · batch 512 · 20 epochs' })).toBeHidden();
    // One line: the panel is less than two buttons tall, and the summary, the preset, the toggle and Train share it.
    const toggle = await boxOf(showSettings);
    const middle = (box: { y: number; height: number }) => box.y + box.height / 2;
    expect((await boxOf(settings)).height).toBeLessThan(2 * toggle.height);
    for (const other of [app.trainButton, preset, settings.getByTestId('settings-line')]) {
      expect(Math.abs(middle(await boxOf(other)) - middle(toggle))).toBeLessThan(toggle.height / 2);
    }

    await showSettings.click();
    await expect(app.field('Batch size')).toBeVisible();
    await expect(settings.getByRole('button', { name: 'Hide settings' })).toHaveAttribute('aria-expanded', 'true');
    await settings.getByRole('button', { name: 'Hide settings' }).click();
    await expect(app.field('Batch size')).toBeHidden();
    await expect(showSettings).toHaveAttribute('aria-expanded', 'false');
  });
}
