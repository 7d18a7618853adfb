import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './app';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

test('each chart downloads as a PNG image', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await app.open({ bs: 8, lr: 0.05, epochs: 1, train: 16, test: 8, res: 16, width: 0.0625, seed: 3 }, true);
  await app.expectWebGpuReady();
  await expect(app.latestRun()).toHaveAttribute('data-status', 'done', { timeout: 180_000 });
  const { curves } = app;
  for (const kind of ['loss', 'accuracy']) {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      curves.getByRole('button', { name: `Download the ${kind} chart as PNG` }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`${kind}-bs-8-lr-0.05.png`);
    const bytes = await readFile(await download.path());
    expect([...bytes.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    expect(bytes.length).toBeGreaterThan(2048);
    // Width and height from the IHDR chunk: twice the chart's size on screen, plus the title and legend.
    expect(bytes.readUInt32BE(16)).toBeGreaterThan(400);
    expect(bytes.readUInt32BE(20)).toBeGreaterThan(2 * 260);
  }
  await expect(curves.getByRole('alert')).toHaveCount(0);
});
