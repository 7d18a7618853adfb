import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './app';

test('classroom mode: the view comes from the link, keys drive the run and the presets, controls lock and hide', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await page.goto('/?bs=8&lr=0.05&epochs=3&train=16&test=8&res=16&width=0.0625&seed=2&present=1&theme=dark&controls=locked');
  const html = page.locator('html');
  await expect(html).toHaveAttribute('data-theme', 'dark');
  await expect(html).toHaveClass(/presenter/);
  await expect(app.field('Batch size')).toBeDisabled();
  await expect(page.getByText('locked by the presenter')).toBeVisible();
  await app.expectWebGpuReady();

  await page.keyboard.press('t');
  await expect(app.runRows).toHaveCount(1);
  await expect(app.stopButton).toBeVisible();
  await page.keyboard.press('s');
  await expect(app.latestRun()).toHaveAttribute('data-status', /stopped|done/, { timeout: 120_000 });

  await page.keyboard.press('n');
  await expect(app.field('Batch size')).toHaveValue('64');
  await expect(page.getByRole('button', { name: 'lr 0.05 · batch 64 · 25 epochs' })).toHaveAttribute('aria-pressed', 'true');
  await page.keyboard.press('n');
  await expect(app.field('Batch size')).toHaveValue('512');
  await page.keyboard.press('p');
  await expect(app.field('Batch size')).toHaveValue('64');

  const classroom = page.getByRole('region', { name: 'Classroom mode' });
  await classroom.getByLabel('Theme').selectOption('contrast');
  await expect(html).toHaveAttribute('data-theme', 'contrast');
  await classroom.getByLabel('Controls').selectOption('hidden');
  await expect(app.field('Batch size')).toBeHidden();
  await expect(page.getByTestId('settings-summary')).toContainText('batch size 64');
  await page.keyboard.press('f');
  await expect(html).not.toHaveClass(/presenter/);
  await expect(page).toHaveURL(/theme=contrast/);
  await expect(page).toHaveURL(/controls=hidden/);
  await expect(page).not.toHaveURL(/present=/);
});
