import { type Page, expect, test } from '@playwright/test';
import { PlaygroundPage } from './app';

async function expectFields(app: PlaygroundPage, values: Record<string, string>, batchNorm: boolean) {
  for (const [label, value] of Object.entries(values)) await expect(app.field(label)).toHaveValue(value);
  await (batchNorm ? expect(app.field('Batch norm')).toBeChecked() : expect(app.field('Batch norm')).not.toBeChecked());
}

const scaleButton = (page: Page, name: string) => page.getByRole('group', { name: 'Scale' }).getByRole('button', { name, exact: true });

test('a first visit shows the quick start; the faithful settings and the Classroom scale are one click away', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await page.goto('/');
  await app.expectWebGpuReady();
  await expectFields(app, { 'Batch size': '32', 'Learning rate': '0.05', Epochs: '2', 'Training images': '1024', Resolution: '32', 'Width multiplier': '0.25' }, true);
  await expect(scaleButton(page, 'Quick start')).toHaveAttribute('aria-pressed', 'true');

  // SwiftShader here: the page says so and prices each scale from the measured rate.
  const proposal = page.getByTestId('software-proposal');
  await expect(proposal).toContainText('SwiftShader');
  await expect(proposal).toContainText(/the quick start about \d+ min/);
  await expect(proposal).toContainText(/the Classroom study \(five presets\) about \d+(\.\d)? (min|h)/);
  await expect(proposal).toContainText(/the faithful study about [\d.]+ years/);

  await scaleButton(page, 'Faithful d2l').click();
  await expectFields(app, { 'Batch size': '64', 'Learning rate': '0.05', Epochs: '25', 'Training images': '60000', 'Test images': '10000', Resolution: '96', 'Width multiplier': '1' }, false);
  await expect(scaleButton(page, 'Faithful d2l')).toHaveAttribute('aria-pressed', 'true');

  await proposal.getByRole('button', { name: 'Use the Classroom scale' }).click();
  await expectFields(app, { 'Batch size': '64', Epochs: '5', 'Training images': '1500', 'Test images': '500', Resolution: '32', 'Width multiplier': '0.25' }, true);
  await expect(page.getByTestId('scale-description')).toContainText('+BN');
  await expect(proposal.getByRole('button', { name: 'Use the Classroom scale' })).toHaveCount(0);
});

test('a link keeps meaning d2l: the settings it leaves out are the faithful ones', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await app.open({ bs: 8, lr: 0.02 });
  await expectFields(app, { 'Batch size': '8', Resolution: '96', 'Training images': '60000' }, false);
});
