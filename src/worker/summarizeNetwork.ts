import { summarizeRunNetwork } from '../model/googlenet';
import { estimateTrainingMemory, summarizeBlocks } from '../model/summary';
import type { NetworkSummary } from './protocol';

/** Builds the network a config asks for, measures it and frees it again. */
export function summarizeNetwork(config: NetworkSummary['config']): NetworkSummary {
  const summary = summarizeRunNetwork({ ...config, seed: 0 });
  return {
    config,
    blocks: summarizeBlocks(summary),
    totalParams: summary.totalParams,
    totalMacs: summary.totalMacs,
    memory: estimateTrainingMemory(summary, config.batchSize),
  };
}
