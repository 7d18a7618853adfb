import { type ChangeEvent, useState } from 'react';
import { describeConfig } from '../config/trainConfig';
import type { StoredList } from '../experiments/useStoredList';
import type { ModelFileFormat } from '../worker/protocol';
import type { TrainingWorker } from '../worker/useTrainingWorker';
import { downloadBlob } from './download';
import { EvaluationPanel } from './EvaluationPanel';
import { FASHION_MNIST_NAME } from '../data/fashionMnist';
import type { DatasetInfo } from '../domain/dataset';
import type { Evaluation } from '../domain/training';
import type { RunRecord } from '../domain/run';
import type { SavedModelInfo } from '../domain/savedModel';

interface Props {
  models: StoredList<SavedModelInfo>;
  /** The run on the charts: the one "Save" keeps. */
  shownRun: RunRecord | undefined;
  /** The imported datasets, where a model trained on one finds its test images. */
  datasets: readonly DatasetInfo[];
  saveModel: TrainingWorker['saveModel'];
  exportModel: TrainingWorker['exportModel'];
  importModel: TrainingWorker['importModel'];
  evaluateModel: TrainingWorker['evaluateModel'];
  /** While a run trains, nothing else may use the worker's device. */
  locked: boolean;
}

const DOWNLOADS: readonly { format: ModelFileFormat; label: string; title: string }[] = [
  { format: 'tfjs', label: 'download tfjs', title: "tfjs's layers-model format in one zip: stock @tensorflow/tfjs loads it" },
  {
    format: 'safetensors',
    label: 'download safetensors',
    title: "The weights under PyTorch's state_dict names (train.py's model), with the settings in the header",
  },
];

/**
 * The dataset a model is evaluated on: Fashion-MNIST (no id), or the imported dataset of its name and classes;
 * null when that dataset is not stored here.
 */
function evaluationDataset(model: SavedModelInfo, datasets: readonly DatasetInfo[]): { id: string | undefined } | null {
  if (model.datasetName === FASHION_MNIST_NAME) return { id: undefined };
  const sameClasses = (d: DatasetInfo) => d.classes.length === model.classes.length && d.classes.every((c, i) => c === model.classes[i]);
  const stored = datasets.find((d) => d.name === model.datasetName && sameClasses(d)) ?? datasets.find(sameClasses);
  return stored ? { id: stored.id } : null;
}

/** Trained networks kept by name: save one, download it, load one back, evaluate one (ModelStart fine-tunes from one). */
export function ModelsPanel({ models, datasets, shownRun, saveModel, exportModel, importModel, evaluateModel, locked }: Props) {
  const [status, setStatus] = useState<{ text: string; error: boolean } | null>(null);
  const [evaluated, setEvaluated] = useState<{ name: string; evaluation: Evaluation } | null>(null);
  const run = shownRun && shownRun.epochs.length > 0 ? shownRun : undefined;
  const act = async (work: () => Promise<string>) => {
    setStatus(null);
    try {
      setStatus({ text: await work(), error: false });
    } catch (error) {
      setStatus({ text: (error as Error).message, error: true });
    }
  };
  const save = () =>
    act(async () => {
      if (!run) return 'Train a run first.';
      const info = await saveModel(run, run.name || describeConfig(run.config));
      return `Saved "${info.name}" (epoch ${info.epoch}).`;
    });
  const download = (model: SavedModelInfo, format: ModelFileFormat) =>
    act(async () => {
      const file = await exportModel(model.id, format);
      downloadBlob(file.fileName, new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
      return `Downloaded ${file.fileName}.`;
    });
  const evaluate = (model: SavedModelInfo) =>
    act(async () => {
      const dataset = evaluationDataset(model, datasets);
      if (dataset === null) {
        throw new Error(`"${model.name}" was trained on "${model.datasetName}", which is not imported here: import it to evaluate the model.`);
      }
      setStatus({ text: `Evaluating "${model.name}" on the first ${model.config.testSubset} test images of ${model.datasetName}…`, error: false });
      const evaluation = await evaluateModel(model.id, dataset.id);
      setEvaluated({ name: model.name, evaluation });
      return `Evaluated "${model.name}" on ${model.datasetName}: ${(evaluation.accuracy * 100).toFixed(1)} % of the test images correct.`;
    });
  const load = (event: ChangeEvent<HTMLInputElement>) => {
    const files = [...(event.target.files ?? [])];
    event.target.value = '';
    if (files.length === 0) return;
    void act(async () => {
      const info = await importModel(files);
      return `Loaded "${info.name}".`;
    });
  };

  return (
    <section className="panel models" aria-label="Models">
      <h2>Models</h2>
      <div className="toolbar">
        <button type="button" disabled={!run} onClick={() => void save()}>
          Save the run on the charts{run ? ` (${run.name || describeConfig(run.config)})` : ''}
        </button>
        <label className="file-button">
          Load a model (.zip, .safetensors, or .json + .bin)…
          <input type="file" multiple accept=".zip,.safetensors,.json,.bin" onChange={load} />
        </label>
        {status && (
          <span className={status.error ? 'error' : 'hint'} role={status.error ? 'alert' : 'status'} data-testid="models-status">
            {status.text}
          </span>
        )}
        {models.problem && (
          <span className="error" role="alert">
            {models.problem}
          </span>
        )}
      </div>
      {models.list.length > 0 && (
        <div className="table-scroll">
          <table data-testid="saved-models">
            <thead>
              <tr>
                <th>Model</th>
                <th>Trained on</th>
                <th>Classes</th>
                <th>Network</th>
                <th>
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {models.list.map((model) => (
                <tr key={model.id} data-testid="saved-model">
                  <td>{model.name}</td>
                  <td>
                    {model.datasetName}, epoch {model.epoch}
                  </td>
                  <td>{model.classes.length}</td>
                  <td className="subtle">
                    {model.config.resolution}×{model.config.resolution}, width {model.config.width}
                  </td>
                  <td className="row-actions">
                    <button type="button" className="link" disabled={locked} onClick={() => void evaluate(model)}>
                      evaluate
                    </button>
                    {DOWNLOADS.map(({ format, label, title }) => (
                      <button key={format} type="button" className="link" title={title} onClick={() => void download(model, format)}>
                        {label}
                      </button>
                    ))}
                    <button
                      type="button"
                      className="link"
                      disabled={locked}
                      onClick={() => {
                        if (window.confirm(`Remove the saved model "${model.name}"?`)) models.remove(model.id);
                      }}
                    >
                      remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {evaluated && <EvaluationPanel evaluation={evaluated.evaluation} label={`What "${evaluated.name}" learned`} />}
    </section>
  );
}
