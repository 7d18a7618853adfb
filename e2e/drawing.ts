import { type Page, expect } from '@playwright/test';
import { png } from './imageFolder';

export interface Ranked {
  name: string;
  probability: number;
}

/** The same strokes every time, so two drawings are the same image. */
export async function drawTrouser(page: Page): Promise<void> {
  const pad = page.getByLabel('Drawing pad: draw a garment in white');
  await pad.scrollIntoViewIfNeeded();
  const box = (await pad.boundingBox())!;
  for (const x of [0.38, 0.62]) {
    await page.mouse.move(box.x + box.width * x, box.y + box.height * 0.15);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * x, box.y + box.height * 0.85, { steps: 8 });
    await page.mouse.up();
  }
}

export async function topClasses(page: Page): Promise<Ranked[]> {
  const items = page.getByTestId('top-classes').locator('li');
  await expect(items).toHaveCount(3);
  return items.evaluateAll((lis) =>
    lis.map((li) => ({ name: li.textContent ?? '', probability: Number(li.getAttribute('data-probability')) })),
  );
}

/** A fixed test image (a bright bar on black), given through the file picker: the same pixels every time. */
export async function chooseImage(page: Page): Promise<void> {
  const image = png(28, (x) => (x >= 10 && x < 18 ? [240, 240, 240] : [0, 0, 0]));
  await page.getByLabel('Or choose an image…').setInputFiles({ name: 'bar.png', mimeType: 'image/png', buffer: image });
}

/**
 * The same ranking, and probabilities equal to three decimals. Not bit-identical: on SwiftShader the same weights
 * and image gave probabilities differing by up to 2e-4 between page loads (within one page they repeat exactly);
 * the source of that float noise is not pinned down.
 */
export function expectSamePrediction(actual: Ranked[], expected: Ranked[]): void {
  const classOf = (entry: Ranked) => entry.name.split(' — ')[0];
  expect(actual.map(classOf)).toEqual(expected.map(classOf));
  actual.forEach((entry, i) => expect(entry.probability).toBeCloseTo(expected[i]!.probability, 3));
}
