import { expect, it } from 'vitest';
import { FIRST_VISIT_CONFIG, STUDY_SCALES } from './presets';
import { estimatedSeconds, runWork, studyWork } from './estimate';

it('counts a run as its training examples plus a third of its test images per epoch', () => {
  expect(runWork({ ...FIRST_VISIT_CONFIG, epochs: 2, trainSubset: 1024, testSubset: 300 })).toBe(2 * (1024 + 100));
});

it('sums the five presets of a study at their scaled epochs', () => {
  const classroom = STUDY_SCALES.classroom.settings;
  // Epochs 25, 20, 20, 10, 50 ÷ 5 → 5 + 4 + 4 + 2 + 10 = 25 passes over the training images.
  expect(studyWork('classroom')).toBeCloseTo(25 * (classroom.trainSubset! + classroom.testSubset! / 3));
  expect(estimatedSeconds(studyWork('classroom'), 10)).toBeCloseTo(studyWork('classroom') / 10);
});
