import { DEFAULT_CONFIG, type TrainConfig } from '../config/trainConfig';
import type { BenchCase } from './benchmark';

/** The two model configurations the benchmark knows: the d2l network and the classroom reduction. */
export const BENCH_MODELS = {
  faithful: { resolution: 96, width: 1 },
  reduced: { resolution: 32, width: 0.25 },
  /** The Classroom scale: the reduced network with batch norm, its statistics recomputed for the test pass. */
  classroom: { resolution: 32, width: 0.25, batchNorm: true, bnStats: 'recompute' },
} as const satisfies Record<string, Pick<TrainConfig, 'resolution' | 'width'> & Partial<TrainConfig>>;

export type BenchModel = keyof typeof BENCH_MODELS;

export interface BenchPlan {
  models: BenchModel[];
  /** Batch sizes per model. */
  batches: Record<BenchModel, number[]>;
  steps: number;
}

/**
 * Defaults sized to finish in a few minutes on a machine without a GPU, where SwiftShader needs about 12 s per
 * image for a faithful training step: the faithful model at batch 2, the reduced one at 8 and 32. On a GPU, pass
 * `--batches 64,128` to measure the article's batch sizes.
 */
export const DEFAULT_PLAN: BenchPlan = {
  models: ['reduced', 'faithful'],
  batches: { reduced: [8, 32], faithful: [2], classroom: [32] },
  steps: 3,
};

export function casesFor(plan: BenchPlan): BenchCase[] {
  return plan.models.flatMap((model) =>
    plan.batches[model].map((batchSize) => ({
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
