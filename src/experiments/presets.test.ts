import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, crossFieldErrors } from '../config/trainConfig';
import { D2L_STUDY, FIRST_VISIT_CONFIG, matchingPreset, presetShown, reductions, scaleOf, scaledPresetConfig, settingsAtScale } from './presets';

describe('the first-visit settings', () => {
  it('keep every rule between fields, since the page takes them unchecked', () => {
    expect(crossFieldErrors(FIRST_VISIT_CONFIG)).toEqual({});
  });
});

describe('the d2l study presets', () => {
  it('are the five settings of the article, each a distinct (lr, batch) pair', () => {
    expect(D2L_STUDY.map((p) => [p.config.learningRate, p.config.batchSize, p.config.epochs])).toEqual([
      [0.05, 64, 25], [0.02, 512, 20], [0.02, 128, 20], [0.02, 8, 10], [0.05, 1000, 50],
    ]);
    for (const preset of D2L_STUDY) expect(matchingPreset({ ...preset.config, epochs: 1, resolution: 32 })).toBe(preset);
    expect(matchingPreset({ ...DEFAULT_CONFIG, batchSize: 63 })).toBeUndefined();
  });

  it('keep the faithful settings at full scale, and shrink every preset alike otherwise', () => {
    const [first, , , , last] = D2L_STUDY;
    expect(scaledPresetConfig(first!, 'faithful', 1)).toEqual(first!.config);
    const classroom = D2L_STUDY.map((p) => scaledPresetConfig(p, 'classroom', 7));
    expect(classroom.map((c) => c.epochs)).toEqual([5, 4, 4, 2, 10]);
    expect(classroom.map((c) => c.batchSize)).toEqual([64, 512, 128, 8, 1000]);
    expect(new Set(classroom.map((c) => `${c.resolution} ${c.width} ${c.trainSubset} ${c.batchNorm} ${c.seed}`))).toEqual(
      new Set(['32 0.25 1500 true 7']),
    );
    expect(reductions(scaledPresetConfig(last!, 'reduced', 1))).toEqual([
      '12000 of 60000 training images', '2000 of 10000 test images', '48×48 input', 'width × 0.5',
      '+BN (batch norm after every convolution)',
    ]);
  });

  it('know which scale a config is at, and move the form there with the preset it shows', () => {
    for (const scale of ['faithful', 'reduced', 'classroom'] as const) {
      expect(scaleOf(scaledPresetConfig(D2L_STUDY[2]!, scale, 3))).toBe(scale);
    }
    expect(scaleOf({ ...DEFAULT_CONFIG, resolution: 40 })).toBeUndefined();
    expect(settingsAtScale('classroom', { batchSize: '128', learningRate: '0.02' })).toEqual({
      batchSize: 128, learningRate: 0.02, epochs: 4, trainSubset: 1500, testSubset: 500, resolution: 32, width: 0.25, batchNorm: true,
      bnStats: 'recompute',
    });
    // The quick start shows no preset: a scale brings the first one.
    expect(settingsAtScale('faithful', { batchSize: String(FIRST_VISIT_CONFIG.batchSize), learningRate: '0.05' })).toMatchObject({
      batchSize: 64, epochs: 25, trainSubset: 60000, resolution: 96, width: 1, batchNorm: false,
    });
  });

  it('recognise the preset the form shows even when the rest of the form is invalid', () => {
    expect(presetShown({ batchSize: '512', learningRate: '0.02', epochs: '20' })).toBe(D2L_STUDY[1]);
    expect(presetShown({ batchSize: '512', learningRate: '0.02', epochs: '3' })).toBeUndefined();
  });
});
