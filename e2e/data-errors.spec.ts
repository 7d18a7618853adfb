import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './app';

test('a missing data file gives a clear message, not a hang', async ({ page, context }) => {
  await context.route('**/t10k-labels-idx1-ubyte.gz', (route) => route.fulfill({ status: 404, body: 'not here' }));
  const app = new PlaygroundPage(page);
  await app.open();
  await expect(page.getByRole('alert')).toContainText(
    'Could not download t10k-labels-idx1-ubyte.gz: the server answered 404',
    { timeout: 120_000 },
  );
  await expect(app.trainButton).toBeDisabled();
});

test('a truncated data file is named in the message', async ({ page, context }) => {
  await context.route('**/train-labels-idx1-ubyte.gz', async (route) => {
    const response = await route.fetch();
    const body = await response.body();
    route.fulfill({ status: 200, body: body.subarray(0, body.length - 200), contentType: 'application/gzip' });
  });
  const app = new PlaygroundPage(page);
  await app.open();
  // Depending on where the stream breaks, the inflater fails or yields fewer bytes than the IDX header promises.
  await expect(page.getByRole('alert')).toContainText(
    /train-labels-idx1-ubyte\.gz (is a damaged gzip file|is truncated: its header promises 60000 values but it holds \d+)/,
    { timeout: 120_000 },
  );
});
