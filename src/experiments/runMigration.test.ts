import { describe, expect, it } from 'vitest';
import { run } from './runFixture';
import { migrateRun } from './runMigration';

const fineTuned = (inputChannels: unknown) => ({
  ...run('tuned'),
  startedFrom: { modelId: 'model-1', modelName: 'shirts', freezeThrough: 'b3', inputChannels, check: null },
});

describe('migrateRun', () => {
  it.each([1, 3])("keeps a fine-tuned run's input channels as stored (%i)", (channels) => {
    expect(migrateRun(fineTuned(channels))?.startedFrom).toEqual(fineTuned(channels).startedFrom);
  });

  it.each([[2], [0], ['3'], [undefined]])('refuses a fine-tuned run whose input channels no network has (%o)', (channels) => {
    expect(migrateRun(fineTuned(channels))).toBeNull();
  });

  it('reads a run that was not fine-tuned', () => {
    expect(migrateRun(run('plain'))?.startedFrom).toBeNull();
  });
});
