import { type BrowserContext, expect, test } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { PlaygroundPage } from './app';

const DATA_DIR = new URL('../public/data/fashion-mnist/', import.meta.url);

/** Serves the four data files from disk, one of them altered, so the test does not depend on the server's headers. */
async function serveDataWith(context: BrowserContext, fileName: string, alter: (body: Buffer) => { status: number; body: Buffer }) {
  await context.route('**/data/fashion-mnist/*.gz', async (route) => {
    const name = new URL(route.request().url()).pathname.split('/').pop()!;
    const body = await readFile(new URL(name, DATA_DIR));
    const { status, body: served } = name === fileName ? alter(body) : { status: 200, body };
    await route.fulfill({ status, body: served, contentType: 'application/gzip' });
  });
}

test('a missing data file gives a clear message, not a hang', async ({ page, context }) => {
  await serveDataWith(context, 't10k-labels-idx1-ubyte.gz', () => ({ status: 404, body: Buffer.from('not here') }));
  const app = new PlaygroundPage(page);
  await app.open();
  await expect(page.getByRole('alert')).toContainText(
    'Could not download t10k-labels-idx1-ubyte.gz: the server answered 404',
    { timeout: 120_000 },
  );
  await expect(app.trainButton).toBeDisabled();
});

test('a truncated data file is named in the message', async ({ page, context }) => {
  await serveDataWith(context, 'train-labels-idx1-ubyte.gz', (body) => ({ status: 200, body: body.subarray(0, body.length - 200) }));
  const app = new PlaygroundPage(page);
  await app.open();
  // Depending on where the stream breaks, the inflater fails or yields fewer bytes than the IDX header promises.
  await expect(page.getByRole('alert')).toContainText(
    /train-labels-idx1-ubyte\.gz (is a damaged gzip file|is truncated: its header promises 60000 values but it holds \d+)/,
    { timeout: 120_000 },
  );
});

test('a file that is not Fashion-MNIST is refused by its magic number', async ({ page, context }) => {
  await serveDataWith(context, 't10k-images-idx3-ubyte.gz', () => ({ status: 200, body: Buffer.from('<!doctype html><p>hello</p>') }));
  const app = new PlaygroundPage(page);
  await app.open();
  await expect(page.getByRole('alert')).toContainText(
    't10k-images-idx3-ubyte.gz is not an IDX file of 3-D unsigned bytes: magic number 0x3c21646f, expected 0x00000803.',
    { timeout: 120_000 },
  );
});
