import { type Page, expect, test } from '@playwright/test';
import { PlaygroundPage } from './app';

/** The quick start (a first visit's settings: 2 epochs of 1,024 images, batch 32) learns within seconds per epoch on wasm. */
const QUICK_START_EPOCHS = 2;
const CHANCE = 0.1;
/** How far a run's real time may be from the estimate shown before Train. */
const ESTIMATE_FACTOR = 1.5;

const estimateSeconds = async (page: Page, testId: string) => Number(await page.getByTestId(testId).getAttribute('data-seconds'));

test('recommends wasm on a software GPU, estimates the quick start on it, and learns with its threaded build, a thread per core but one', async ({ page, baseURL }) => {
  test.setTimeout(8 * 60_000);
  const appOrigin = new URL(baseURL!).origin;
  const foreignRequests: string[] = [];
  page.context().on('request', (request) => {
    if (new URL(request.url()).origin !== appOrigin) foreignRequests.push(request.url());
  });
  // A pthread that cannot start (a bundler that broke tfjs's worker source, say) only ever says so here.
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));

  const app = new PlaygroundPage(page);
  await page.goto('/');
  await app.expectWebGpuReady();
  const recommendation = page.getByTestId('wasm-recommendation');
  // Nothing measured wasm in this browser yet: no constant stands in for it.
  await expect(recommendation).toContainText('measure it by switching');
  await recommendation.getByRole('button', { name: 'Use wasm (CPU, fast)' }).click();

  await expect(page.getByTestId('active-backend')).toHaveText('wasm', { timeout: 60_000 });
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  const adapter = (await page.getByTestId('adapter').textContent()) ?? '';
  const threads = Number(/(\d+) threads?/.exec(adapter)?.[1]);
  console.log(`wasm backend: ${adapter}`);
  expect(adapter).toContain('SIMD');
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  expect(threads).toBe(Math.max(1, Math.min(cores - 1, 8)));
  expect(adapter).not.toContain('not cross-origin isolated');

  await expect(page.getByTestId('data-ready')).toBeVisible({ timeout: 120_000 });
  // The estimate shows before Train, from the calibration the idle worker runs on its own.
  await expect(page.getByTestId('quick-start-estimate')).toBeVisible({ timeout: 120_000 });
  const estimate = await estimateSeconds(page, 'quick-start-estimate');
  await app.trainButton.click();
  const run = app.latestRun();
  await expect(run).toHaveAttribute('data-status', 'running');
  const started = Date.now();
  await expect(run).toHaveAttribute('data-backend', 'wasm');
  await expect(run).toHaveAttribute('data-status', 'done', { timeout: 4 * 60_000 });
  const seconds = (Date.now() - started) / 1000;
  console.log(`wasm quick start: estimated ${estimate.toFixed(1)} s, took ${seconds.toFixed(1)} s; calibration ${await app.calibrationSeconds('wasm')} s`);
  expect(seconds / estimate).toBeGreaterThan(1 / ESTIMATE_FACTOR);
  expect(seconds / estimate).toBeLessThan(ESTIMATE_FACTOR);
  await expect(run).toHaveAttribute('data-epochs-done', String(QUICK_START_EPOCHS));
  const figure = async (name: string) => Number(await run.getAttribute(name));
  const loss = await figure('data-train-loss');
  const testAccuracy = await figure('data-test-acc');
  const examplesPerSecond = await figure('data-examples-per-sec');
  console.log(`wasm run: loss ${loss}, test acc ${testAccuracy}, ${examplesPerSecond} examples/s`);
  expect(Number.isFinite(loss) && loss > 0).toBe(true);
  expect(testAccuracy).toBeGreaterThan(4 * CHANCE);
  expect(testAccuracy).toBeLessThanOrEqual(1);
  expect(examplesPerSecond).toBeGreaterThan(0);
  const tensorsPerEpoch = (await run.getAttribute('data-tensors-per-epoch'))!.split(',').map(Number);
  expect(new Set(tensorsPerEpoch).size).toBe(1);

  // Back on WebGPU, once it is measured too, the advice compares the two measured rates.
  await page.getByRole('button', { name: 'Try WebGPU again' }).click();
  await app.expectWebGpuReady();
  await expect(recommendation).toContainText(/≈ [\d.]+× faster (here|than wasm here) \(measured on this machine/, { timeout: 120_000 });
  console.log(`advice: ${await recommendation.textContent()}`);

  expect(foreignRequests).toEqual([]);
  expect(errors).toEqual([]);
});
