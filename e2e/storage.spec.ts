import { type Locator, type Page, expect, test } from '@playwright/test';
import { PlaygroundPage } from './app';
import { chooseImage } from './drawing';

const TINY = { bs: 8, lr: 0.05, train: 16, test: 8, res: 16, width: 0.0625 };

const row = (page: Page, runId: string): Locator => page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`);

const figures = (locator: Locator) =>
  locator.evaluate((el) => {
    const { status, epochNumbers, trainLoss, testAcc } = (el as HTMLElement).dataset;
    return { status, epochNumbers, trainLoss, testAcc };
  });

/** The id of the one run in the page that is not among `others`, once it shows. */
async function ownRunId(page: Page, others: string[] = []): Promise<string> {
  const own = page.locator(`[data-testid="run-row"]${others.map((id) => `:not([data-run-id="${id}"])`).join('')}`);
  await expect(own).toHaveCount(1, { timeout: 120_000 });
  return (await own.getAttribute('data-run-id'))!;
}

/** The epochs of a run as IndexedDB holds them, read by the page itself. */
function storedEpochs(page: Page, runId: string): Promise<number> {
  return page.evaluate(
    (id) =>
      new Promise<number>((resolve, reject) => {
        const opening = indexedDB.open('googlenet-playground');
        opening.onerror = () => reject(opening.error);
        opening.onsuccess = () => {
          const database = opening.result;
          const reading = database.transaction('runs').objectStore('runs').get(id);
          reading.onsuccess = () => {
            database.close();
            resolve((reading.result as { epochs: unknown[] } | undefined)?.epochs.length ?? 0);
          };
          reading.onerror = () => reject(reading.error);
        };
      }),
    runId,
  );
}

async function expectPredictionFrom(app: PlaygroundPage, runId: string, epoch: number): Promise<void> {
  const { page } = app;
  await app.show('Predict & models');
  const predict = page.getByRole('region', { name: 'Predict', exact: true });
  await predict.getByLabel('Model to predict with').selectOption(`run:${runId}`);
  await chooseImage(page);
  await expect(predict.getByText(`Weights of epoch ${epoch}.`)).toBeVisible({ timeout: 60_000 });
}

test('two tabs train at once: each sees both runs, neither touches the other run or its checkpoint', async ({ context }) => {
  test.setTimeout(15 * 60_000);
  const first = new PlaygroundPage(await context.newPage());
  const second = new PlaygroundPage(await context.newPage());
  await first.open({ ...TINY, epochs: 2, seed: 21 }, true);
  await first.expectWebGpuReady();
  const firstRun = await ownRunId(first.page);
  await second.open({ ...TINY, epochs: 3, seed: 22 }, true);
  await second.expectWebGpuReady();
  const secondRun = await ownRunId(second.page, [firstRun]);

  // Each tab hears the other's writes: both runs finish in both tabs without a reload.
  for (const app of [first, second]) {
    await expect(row(app.page, firstRun)).toHaveAttribute('data-epoch-numbers', '1,2', { timeout: 600_000 });
    await expect(row(app.page, secondRun)).toHaveAttribute('data-epoch-numbers', '1,2,3', { timeout: 600_000 });
    await expect(row(app.page, firstRun)).toHaveAttribute('data-status', 'done');
    await expect(row(app.page, secondRun)).toHaveAttribute('data-status', 'done');
  }
  const expected = { [firstRun]: await figures(row(first.page, firstRun)), [secondRun]: await figures(row(second.page, secondRun)) };

  for (const app of [first, second]) {
    await app.page.reload();
    await app.expectWebGpuReady();
    await expect(app.runRows).toHaveCount(2);
    for (const runId of [firstRun, secondRun]) expect(await figures(row(app.page, runId))).toEqual(expected[runId]);
  }
  // Each run's weights are its own last epoch's, whichever tab asks.
  await expectPredictionFrom(first, firstRun, 2);
  await expectPredictionFrom(second, secondRun, 3);
  await expectPredictionFrom(first, secondRun, 3);
});

test('a write the browser refuses (quota) fails the run with that reason, keeps its epochs, and the page goes on', async ({ page }) => {
  test.setTimeout(10 * 60_000);
  const app = new PlaygroundPage(page);
  await app.open({ ...TINY, train: 64, epochs: 8, seed: 23 }, true);
  await app.expectWebGpuReady();
  const runId = await ownRunId(page);
  await expect.poll(() => storedEpochs(page, runId), { timeout: 240_000 }).toBeGreaterThanOrEqual(1);

  // Chromium's own quota for the origin, set below what it already stores: the next write is refused for real.
  const devtools = await page.context().newCDPSession(page);
  const origin = new URL(page.url()).origin;
  const usage = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
  await devtools.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: Math.floor(usage / 2) });

  const refused = row(page, runId);
  await expect(refused).toHaveAttribute('data-status', 'failed', { timeout: 240_000 });
  await expect(refused).toContainText("this site's storage quota is full");
  const kept = Number(await refused.getAttribute('data-epochs-done'));
  expect(kept).toBeGreaterThanOrEqual(1);
  expect(kept).toBeLessThan(8);

  await devtools.send('Storage.overrideQuotaForOrigin', { origin });
  await app.field('Epochs').fill('1');
  await app.field('Training images').fill('16');
  await expect(app.trainButton).toBeEnabled({ timeout: 120_000 });
  await app.trainButton.click();
  await expect(app.runRows).toHaveCount(2);
  await expect(app.latestRun()).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
  await expect(refused).toHaveAttribute('data-epochs-done', String(kept));

  await page.reload();
  await expect(app.runRows).toHaveCount(2);
  await expect(row(page, runId)).toHaveAttribute('data-epochs-done', /^[1-9]$/);
});
