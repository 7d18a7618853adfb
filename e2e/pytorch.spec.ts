import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect, test } from '@playwright/test';
import { unzipSync } from 'fflate';
import { PlaygroundPage } from './app';
import { chooseImage, topClasses } from './drawing';

const fixture = (name: string) => new URL(`../scripts/pytorch/fixtures/${name}`, import.meta.url).pathname;

/** train.py's own metrics file (scripts/pytorch/check_export.py --write-fixtures): two gloo processes on the CPU. */
const metrics = JSON.parse(readFileSync(fixture('metrics.json'), 'utf8')) as {
  runs: { name: string; adapter: string; config: Record<string, unknown>; epochs: unknown[] }[];
};
const fixtureRun = metrics.runs[0]!;

/**
 * That file's settings (every switch of the network, optimiser and augmentation in play), with batch 16 so that 32
 * updates settle batch norm's running statistics and the network predicts more than one class, and another seed.
 */
const SETTINGS =
  'bs=16&lr=0.05&epochs=2&train=256&test=64&res=32&width=0.125&seed=5&aux=1&dropout=1&bn=1&opt=momentum&wd=0.0001' +
  '&sched=cosine&crop=2&flip=1';
/** The link leaves `bnstats` out, so the run keeps batch norm's running averages, as d2l does. */
const EXPECTED_CONFIG = { ...fixtureRun.config, bnStats: 'running', batchSize: 16, seed: 5 };

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Debian's PyTorch, as CI installs it (REQUIRE_TORCH=1); elsewhere the PyTorch steps are skipped if it is missing. */
const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch']).status === 0;

function runPython(cwd: string, args: string[]): string {
  const result = spawnSync(PYTHON, args, { cwd, encoding: 'utf8', timeout: 300_000 });
  expect(result.status, `${args.join(' ')}:\n${result.stdout}\n${result.stderr}`).toBe(0);
  return result.stdout;
}

/** The JSON header of a .safetensors file: its length (8 bytes, little-endian), then the header. */
function safetensorsHeader(bytes: Uint8Array): Record<string, unknown> {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return JSON.parse(decode(bytes.subarray(8, 8 + length))) as Record<string, unknown>;
}

test("a browser run goes out as a PyTorch experiment; train.py's metrics and weights come back in", async ({ page }, testInfo) => {
  expect(hasTorch || process.env.REQUIRE_TORCH !== '1', 'REQUIRE_TORCH=1 but Debian python3-torch is missing').toBe(true);
  const app = new PlaygroundPage(page);
  await page.goto(`/?${SETTINGS}&autostart=1`);
  await app.expectWebGpuReady();
  await expect(app.latestRun()).toHaveAttribute('data-status', 'done', { timeout: 480_000 });

  // Out: one zip with train.py, its README, config.json with the run's settings, the data and the run's weights.
  await app.show('Runs');
  const downloading = page.waitForEvent('download');
  await app.latestRun().getByRole('button', { name: 'PyTorch' }).click();
  const download = await downloading;
  await expect(app.latestRun().getByTestId('experiment-export-status')).toContainText('unzip it and follow its README');
  const folder = download.suggestedFilename().replace(/\.zip$/, '');
  const archive = unzipSync(readFileSync((await download.path())!));
  const file = (name: string) => archive[`${folder}/${name}`]!;
  expect(Object.keys(archive).map((path) => path.slice(folder.length + 1)).sort()).toEqual([
    'README.md',
    'browser-weights.safetensors',
    'config.json',
    'data/t10k-images-idx3-ubyte.gz',
    'data/t10k-labels-idx1-ubyte.gz',
    'data/train-images-idx3-ubyte.gz',
    'data/train-labels-idx1-ubyte.gz',
    'requirements.txt',
    'train.py',
  ]);
  expect(decode(file('README.md'))).toMatch(/^```sh\npython3 -m venv .*pip install -r requirements.txt\n.*torchrun .*train\.py\n```/);
  const experiment = JSON.parse(decode(file('config.json'))) as { config: Record<string, unknown>; dataset: { classes: string[] } };
  expect(experiment.config).toEqual(EXPECTED_CONFIG);
  expect(experiment.dataset.classes).toHaveLength(10);
  const header = safetensorsHeader(file('browser-weights.safetensors'));
  expect(header['b1_conv_7x7.conv.weight']).toMatchObject({ dtype: 'F32', shape: [8, 1, 7, 7] });
  expect(header['aux1.fc.weight']).toMatchObject({ dtype: 'F32' });
  const { model } = header.__metadata__ as { model: string };
  expect(JSON.parse(model)).toMatchObject({ epoch: 2, config: EXPECTED_CONFIG });

  // The settings form exports the same experiment before any run: no weights then.
  const fromForm = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export as PyTorch experiment' }).click();
  const formArchive = unzipSync(readFileSync((await (await fromForm).path())!));
  await expect(page.getByTestId('settings-action-status')).toContainText('unzip it and follow its README');
  const formFiles = Object.keys(formArchive);
  expect(formFiles.some((path) => path.endsWith('/train.py'))).toBe(true);
  expect(formFiles.some((path) => path.endsWith('.safetensors'))).toBe(false);
  const formConfig = formFiles.find((path) => path.endsWith('/config.json'))!;
  expect((JSON.parse(decode(formArchive[formConfig]!)) as { config: unknown }).config).toEqual(EXPECTED_CONFIG);

  // The archive runs in PyTorch: the run's own weights give its test accuracy there, and train.py trains the run again.
  const folderPath = testInfo.outputPath('experiment');
  for (const [path, bytes] of Object.entries(archive)) {
    mkdirSync(dirname(join(folderPath, path)), { recursive: true });
    writeFileSync(join(folderPath, path), bytes);
  }
  let metricsFile = fixture('metrics.json');
  if (hasTorch) {
    const cwd = join(folderPath, folder);
    const evaluated = runPython(cwd, ['train.py', '--device', 'cpu', '--threads', '2', '--weights', 'browser-weights.safetensors', '--evaluate-only']);
    const pytorchAccuracy = Number(/test accuracy ([\d.]+) on 64 images/.exec(evaluated)?.[1]);
    const pytorchPredicted = JSON.parse(/predicted per class (\[.*\])/.exec(evaluated)?.[1] ?? 'null') as number[];
    const browserAccuracy = Number(await app.latestRun().getAttribute('data-test-acc'));
    await app.show('What the model learned');
    const confusion = await page
      .getByRole('region', { name: 'What the model learned' })
      .getByTestId('confusion-row')
      .evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].slice(0, -1).map((cell) => Number(cell.textContent))));
    const browserPredicted = confusion[0]!.map((_, predicted) => confusion.reduce((sum, row) => sum + row[predicted]!, 0));
    console.log(
      `the run's weights on 64 test images: accuracy ${browserAccuracy} in the browser, ${pytorchAccuracy} in train.py; ` +
        `predicted per class ${JSON.stringify(browserPredicted)} and ${JSON.stringify(pytorchPredicted)}`,
    );
    // The logits agree to ~1e-7 (scripts/pytorch/check_export.py): at most a near-tie may move one of the 64 images.
    expect(Math.abs(pytorchAccuracy - browserAccuracy)).toBeLessThanOrEqual(1 / 64 + 1e-9);
    expect(pytorchPredicted.reduce((moved, count, i) => moved + Math.abs(count - browserPredicted[i]!), 0)).toBeLessThanOrEqual(2);
    runPython(cwd, ['train.py', '--device', 'cpu', '--threads', '2', '--out', 'out']);
    metricsFile = join(cwd, 'out', 'metrics.json');
  }
  const torchRun = (JSON.parse(readFileSync(metricsFile, 'utf8')) as typeof metrics).runs[0]!;

  // Back: train.py's metrics file imports as a run of backend "pytorch", drawn beside the browser run of its settings
  // (without PyTorch here, the committed metrics file of batch 64 imports, but is not the run's counterpart).
  const browserRunId = await app.latestRun().getAttribute('data-run-id');
  await app.show('Runs');
  await page.getByLabel(/Import runs/).setInputFiles(metricsFile);
  await expect(app.runRows).toHaveCount(2);
  const imported = app.runRows.and(page.locator('[data-backend="pytorch"]'));
  await expect(imported).toHaveAttribute('data-status', 'done');
  await expect(imported).toHaveAttribute('data-epochs-done', String(torchRun.epochs.length));
  await expect(imported.getByRole('cell', { name: 'pytorch', exact: true })).toHaveAttribute('title', torchRun.adapter);
  await expect(imported.getByRole('button', { name: 'resume' })).toHaveCount(0);
  await page.locator(`[data-run-id="${browserRunId}"]`).click();
  if (hasTorch) {
    await expect(page.getByTestId('loss-chart')).toContainText(`(PyTorch, ${torchRun.adapter})`);
    await expect(page.getByTestId('accuracy-chart')).toContainText(`(PyTorch, ${torchRun.adapter})`);
  }

  // Back: train.py's weights load as a saved model that predicts.
  await app.show('Predict & models');
  const models = page.getByRole('region', { name: 'Models' });
  await models.getByLabel(/Load a model/).setInputFiles(fixture('torch-bn-aux.safetensors'));
  await expect(models.getByTestId('models-status')).toHaveText('Loaded "check_export".');
  await expect(models.getByTestId('saved-model')).toHaveCount(1);
  await page.getByLabel('Model to predict with').selectOption({ label: 'saved: check_export' });
  await chooseImage(page);
  const ranked = await topClasses(page);
  expect(ranked.reduce((sum, c) => sum + c.probability, 0)).toBeLessThanOrEqual(1 + 1e-6);

  await models.getByRole('button', { name: 'evaluate' }).click();
  await expect(models.getByTestId('models-status')).toContainText('Evaluated "check_export" on Fashion-MNIST', { timeout: 120_000 });
  const learned = page.getByRole('region', { name: 'What "check_export" learned' });
  await expect(learned.getByTestId('confusion-row')).toHaveCount(10);

  // A .safetensors file without the playground's metadata is refused, with what it lacks, and nothing is added.
  const bare = new Uint8Array(16);
  new DataView(bare.buffer).setBigUint64(0, 8n, true);
  bare.set(new TextEncoder().encode('{}      '), 8);
  await models.getByLabel(/Load a model/).setInputFiles({ name: 'bare.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(bare) });
  await expect(models.getByTestId('models-status')).toContainText("lacks GoogLeNet Playground's metadata");
  await expect(models.getByTestId('saved-model')).toHaveCount(1);
});
