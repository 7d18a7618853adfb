import { DEFAULT_CONFIG, type TrainConfig } from '../config/trainConfig';

/** A run small enough for the pure-JS cpu backend in unit tests: a few seconds per epoch. */
export const TINY_RUN: TrainConfig = {
  ...DEFAULT_CONFIG,
  batchSize: 16,
  learningRate: 0.05,
  epochs: 2,
  trainSubset: 64,
  testSubset: 32,
  resolution: 16,
  width: 0.0625,
};
