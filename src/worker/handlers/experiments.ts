import type { DownloadFile } from '../../domain/file';
import { experimentArchive } from '../../experiments/pytorchExperiment';
import { exportSafetensors } from '../../train/weightsFile';
import type { ExperimentExport } from '../protocol';
import type { Datasets } from './datasets';
import type { Models } from './models';

/** Settings, the dataset's files and (for a run that kept some) its latest weights, as a PyTorch experiment zip. */
export async function exportExperiment(request: ExperimentExport, models: Models, datasets: Datasets): Promise<DownloadFile> {
  const { runId, datasetId, ...experiment } = request;
  const [kept, data] = await Promise.all([
    runId === undefined ? null : models.runWeights({ runId, ...experiment }),
    datasets.experimentData(datasetId),
  ]);
  const { classes, side, channels } = experiment.shape;
  const dataset = { ...(datasetId === undefined ? {} : { id: datasetId }), name: experiment.datasetName, classes, side, channels };
  const weights = kept && exportSafetensors(kept.metadata, kept.weights).bytes;
  return experimentArchive({ name: experiment.name, config: experiment.config, dataset, data, weights });
}
