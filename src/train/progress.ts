import type { Checkpoint } from '../domain/training';

/**
 * Where a run stands, counted in one place: the updates made (the learning-rate schedule and the augmentation
 * follow them) and the training examples seen, resumed epochs included.
 */
export class TrainingProgress {
  private updates = 0;
  private examples = 0;

  constructor(readonly batchesPerEpoch: number) {}

  get step(): number {
    return this.updates;
  }

  get examplesSeen(): number {
    return this.examples;
  }

  /** One update on a batch of this many examples. */
  advance(batchExamples: number): void {
    this.updates++;
    this.examples += batchExamples;
  }

  resumeAt(checkpoint: Pick<Checkpoint, 'step' | 'examplesSeen'>): void {
    this.updates = checkpoint.step;
    this.examples = checkpoint.examplesSeen;
  }
}
