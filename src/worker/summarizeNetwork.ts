import { buildRunNetwork } from '../model/googlenet';
import { estimateTrainingMemory, summarizeBlocks, summarizeModel } from '../model/summary';
import type { NetworkSummary } from './protocol';

/** Builds the network a config asks for, measures it and frees it again. */
export function summarizeNetwork(config: NetworkSummary['config']): NetworkSummary {
  const model = buildRunNetwork({ ...config, seed: 0 });
  try {
    const summary = summarizeModel(model);
    return {
      config,
      blocks: summarizeBlocks(summary),
      totalParams: summary.totalParams,
      totalMacs: summary.totalMacs,
      memory: estimateTrainingMemory(summary, config.batchSize),
    };
  } finally {
    model.dispose();
  }
}
