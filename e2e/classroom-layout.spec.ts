import { type Locator, type Page, expect, test } from '@playwright/test';
import { PlaygroundPage, type ViewName } from './app';
import { openWithLab } from './labFixture';

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

async function expectNoSidewaysOverflow(page: Page, what: string): Promise<void> {
  const overflow = await sidewaysOverflow(page);
  expect(overflow.scrollWidth, `${what}: reaching past ${overflow.viewport} px: ${overflow.elements.join(', ')}`).toBeLessThanOrEqual(390);
}

const VIEWS: ViewName[] = ['What the model learned', 'Runs', 'Batch-size lab', 'Reproduce d2l', 'Predict & models'];

test("at a phone's width (390 px) nothing overflows sideways in any view, with the lab, tables and charts shown", async ({ page }) => {
  const app = new PlaygroundPage(page);
  await page.setViewportSize({ width: 390, height: 844 });
  await openWithLab(page, '');
  for (const view of VIEWS) {
    await app.show(view);
    await expectNoSidewaysOverflow(page, view);
  }
  // The runs table is wider than a phone: it scrolls inside its own box, all its columns kept.
  await app.show('Runs');
  const runsTable = page.getByRole('region', { name: 'Results' }).locator('.table-scroll');
  expect(await runsTable.evaluate((box) => box.scrollWidth > box.clientWidth)).toBe(true);
});

test("at a phone's width (390 px) nothing in the presenter view overflows sideways, with the lab, tables and charts shown", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await openWithLab(page, '?present=1');
  await expectNoSidewaysOverflow(page, 'presenter view');
  const runsTable = page.getByRole('region', { name: 'Results' }).locator('.table-scroll');
  expect(await runsTable.evaluate((box) => box.scrollWidth > box.clientWidth)).toBe(true);
});

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
