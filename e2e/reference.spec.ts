import { readFileSync } from 'node:fs';
import { type Locator, type Page, expect, test } from '@playwright/test';
import type { TrainConfig } from '../src/config/trainConfig';
import { D2L_STUDY, FIRST_VISIT_CONFIG, scaledPresetConfig } from '../src/experiments/presets';
import { parseReferenceFile } from '../src/experiments/reference';
import { PlaygroundPage } from './app';

const references = parseReferenceFile(
  JSON.parse(readFileSync(new URL('../public/reference/pytorch-reference.json', import.meta.url), 'utf8')),
).runs;

/**
 * A finished run as the app exports it, so the charts and the table have something to show without training;
 * one [train loss, test accuracy] per epoch.
 */
function exportedRun(id: string, config: TrainConfig, epochs: [number, number][], startedAt: number) {
  return {
    id, name: '', config, backend: 'webgpu', adapter: null, status: 'done', startedAt, warmupSeconds: 1,
    epochs: epochs.map(([trainLoss, testAccuracy], i) => ({
      epoch: i + 1, trainLoss, trainAccuracy: testAccuracy, testAccuracy, examplesPerSecond: 50,
      trainSeconds: 10, epochSeconds: 11, step: (i + 1) * Math.ceil(config.trainSubset / config.batchSize),
      examplesSeen: (i + 1) * config.trainSubset, elapsedSeconds: (i + 1) * 11, numTensors: 100,
    })),
    batchLosses: [], error: null, group: null, evaluation: null, dataset: null, startedFrom: null,
  };
}

async function importRuns(page: Page, runs: ReturnType<typeof exportedRun>[]): Promise<void> {
  const app = new PlaygroundPage(page);
  await app.show('Runs');
  await page.getByLabel(/Import runs/).setInputFiles({
    name: 'runs.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify({ format: 'googlenet-playground-runs', version: 3, runs })),
  });
  await expect(app.runRows).toHaveCount(runs.length);
}

const referenceLines = (chart: Locator) => chart.locator('path.recharts-line-curve[stroke-dasharray]');
const referenceLegend = (chart: Locator) => chart.locator('.recharts-legend-item', { hasText: 'PyTorch reference' });

test('Reproduce d2l shows, per preset, the article, the PyTorch reference at the scale and this browser’s run at that scale', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await app.open();
  const [first] = D2L_STUDY;
  const classroomFirst = scaledPresetConfig(first!, 'classroom', FIRST_VISIT_CONFIG.seed);
  // Only the first counts at the classroom scale, though the others reached a lower loss: the second belongs to the
  // faithful scale, the third was set to more epochs than the scale gives.
  await importRuns(page, [
    exportedRun('run-classroom', classroomFirst, [[2, 0.3], [1.5, 0.55]], 1),
    exportedRun('run-faithful', first!.config, [[0.5, 0.9]], 2),
    exportedRun('run-too-long', { ...classroomFirst, epochs: classroomFirst.epochs + 1 }, [[2, 0.3], [0.4, 0.99]], 3),
  ]);

  await app.show('Reproduce d2l');
  const view = page.getByRole('region', { name: 'Reproduce d2l' });
  await expect(view.getByLabel('Study scale')).toHaveValue('classroom');
  await expect(view.getByTestId('scale-departures')).toContainText('+BN');
  const row = (preset: string, source: string) => view.locator(`[data-preset="${preset}"]`).getByTestId(source);
  const seed = FIRST_VISIT_CONFIG.seed;
  for (const { id } of D2L_STUDY) {
    const reference = references.find((r) => r.kind === 'study' && r.scale === 'classroom' && r.preset === id && r.settings.seed === seed);
    expect(reference, `a classroom reference of ${id} with seed ${seed}`).toBeDefined();
    const last = reference!.epochs[reference!.epochs.length - 1]!;
    await expect(row(id, 'study-reference').getByTestId('test-acc')).toHaveText(last.testAccuracy.toFixed(3));
    await expect(row(id, 'study-reference').getByTestId('train-loss')).toHaveText(last.trainLoss.toFixed(3));
    await expect(view.getByTestId('reference-machine')).toContainText(reference!.device);
  }
  await expect(row(first!.id, 'study-browser').getByTestId('test-acc')).toHaveText('0.550');
  await expect(row(D2L_STUDY[1]!.id, 'study-browser')).toContainText('Not run here at this scale yet');

  await view.getByLabel('Study scale').selectOption('faithful');
  await expect(row(first!.id, 'study-reference')).toContainText('The article is the reference at this scale');
  await expect(row(first!.id, 'study-reference').getByTestId('test-acc')).toHaveCount(0);
  await expect(row(first!.id, 'study-browser').getByTestId('test-acc')).toHaveText('0.900');
});

test('a run with a reference’s settings is charted over its dashed PyTorch reference, which the toggle hides', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await app.open();
  const reference = references.find((r) => r.kind === 'first-visit' && r.settings.seed === FIRST_VISIT_CONFIG.seed);
  expect(reference, 'a first-visit reference with the first-visit seed').toBeDefined();
  await importRuns(page, [exportedRun('run-first-visit', FIRST_VISIT_CONFIG, [[2, 0.4], [1.5, 0.6]], 1)]);

  const loss = page.getByTestId('loss-chart');
  const accuracy = page.getByTestId('accuracy-chart');
  const toggle = page.getByTestId('reference-toggle');
  await expect(toggle).toBeChecked();
  await expect(referenceLegend(loss)).toHaveText(['PyTorch reference']);
  await expect(referenceLegend(accuracy)).toHaveText(['PyTorch reference · test', 'PyTorch reference · train']);
  await expect(referenceLines(loss)).toHaveCount(1);
  await expect(referenceLines(accuracy)).toHaveCount(2);
  // One vertex per reference epoch: "M x,y" then "L x,y" for each further epoch.
  const vertices = (await referenceLines(loss).getAttribute('d'))?.match(/[ML]/g)?.length;
  expect(vertices).toBe(reference!.epochs.length);

  await page.getByLabel('x-axis').selectOption('seconds');
  await expect(referenceLegend(loss)).toHaveText([`PyTorch reference · ${reference!.device} time`]);
  await page.getByLabel('x-axis').selectOption('epoch');

  await toggle.uncheck();
  await expect(referenceLines(loss)).toHaveCount(0);
  await expect(referenceLines(accuracy)).toHaveCount(0);
  await expect(referenceLegend(loss)).toHaveCount(0);
  await expect(referenceLegend(accuracy)).toHaveCount(0);
  await toggle.check();
  await expect(referenceLines(loss)).toHaveCount(1);

  // Imported last, so charted alone: a learning rate no reference was made with.
  await importRuns(page, [
    exportedRun('run-first-visit', FIRST_VISIT_CONFIG, [[2, 0.4], [1.5, 0.6]], 1),
    exportedRun('run-other-lr', { ...FIRST_VISIT_CONFIG, learningRate: 0.07 }, [[2, 0.4], [1.5, 0.6]], 2),
  ]);
  await expect(page.getByRole('heading', { name: /lr 0\.07/ })).toBeVisible();
  await expect(toggle).toHaveCount(0);
  await expect(referenceLines(loss)).toHaveCount(0);
  await expect(referenceLegend(accuracy)).toHaveCount(0);
});
