import { DEFAULT_CONFIG, type TrainConfig } from '../config/trainConfig';
import type { BenchCase } from './benchmark';

/** The two model configurations the benchmark knows: the d2l network and the classroom reduction. */
export const BENCH_MODELS = {
  faithful: { resolution: 96, width: 1 },
  reduced: { resolution: 32, width: 0.25 },
} as const satisfies Record<string, Pick<TrainConfig, 'resolution' | 'width'>>;

export type BenchModel = keyof typeof BENCH_MODELS;

export interface BenchPlan {
  models: BenchModel[];
  batches: number[];
  steps: number;
}

/** Defaults sized for a machine without a GPU, where a faithful step on SwiftShader takes about 90 s. */
export const DEFAULT_PLAN: BenchPlan = { models: ['reduced', 'faithful'], batches: [8, 32], steps: 3 };

export function casesFor(plan: BenchPlan): BenchCase[] {
  return plan.models.flatMap((model) =>
    plan.batches.map((batchSize) => ({
      label: model,
      steps: plan.steps,
      config: {
        ...DEFAULT_CONFIG,
        ...BENCH_MODELS[model],
        batchSize,
        learningRate: 0.01,
        trainSubset: Math.max(4096, batchSize * 4),
        testSubset: 1,
      },
    })),
  );
}
