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
import { STAGES, type Stage } from '../domain/transfer';

export interface FineTuneChoice {
  /** The saved model the next run starts from; null trains from fresh weights. */
  modelId: string | null;
  freezeThrough: Stage | null;
}

interface Props {
  models: StoredList<SavedModelInfo>;
  /** The run on the charts: the one "Save" keeps. */
  shownRun: RunRecord | undefined;
  /** The imported datasets, where a model trained on one finds its test images. */
  datasets: readonly DatasetInfo[];
  worker: Pick<TrainingWorker, 'saveModel' | 'exportModel' | 'importModel' | 'evaluateModel'>;
  fineTune: FineTuneChoice;
  onFineTune(choice: FineTuneChoice): void;
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

const FREEZE_LABELS: Record<Stage, string> = { b1: 'b1', b2: 'b1–b2', b3: 'b1–b3', b4: 'b1–b4', b5: 'b1–b5 (only the classifier learns)' };

/** Trained networks kept by name: save one, download it in tfjs's format, load one back, fine-tune from one. */
export function ModelsPanel({ models, datasets, shownRun, worker, fineTune, onFineTune, locked }: Props) {
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
      const info = await worker.saveModel(run, run.name || describeConfig(run.config));
      return `Saved "${info.name}" (epoch ${info.epoch}).`;
    });
  const download = (model: SavedModelInfo, format: ModelFileFormat) =>
    act(async () => {
      const file = await worker.exportModel(model.id, format);
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
      const evaluation = await worker.evaluateModel(model.id, dataset.id);
      setEvaluated({ name: model.name, evaluation });
      return `Evaluated "${model.name}" on ${model.datasetName}: ${(evaluation.accuracy * 100).toFixed(1)} % of the test images correct.`;
    });
  const load = (event: ChangeEvent<HTMLInputElement>) => {
    const files = [...(event.target.files ?? [])];
    event.target.value = '';
    if (files.length === 0) return;
    void act(async () => {
      const info = await worker.importModel(files);
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
        <table data-testid="saved-models">
          <thead>
            <tr>
              <th>Model</th>
              <th>Trained on</th>
              <th>Classes</th>
              <th>Network</th>
              <th />
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
                      if (!window.confirm(`Remove the saved model "${model.name}"?`)) return;
                      if (fineTune.modelId === model.id) onFineTune({ modelId: null, freezeThrough: null });
                      models.remove(model.id);
                    }}
                  >
                    remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {evaluated && <EvaluationPanel evaluation={evaluated.evaluation} label={`What "${evaluated.name}" learned`} />}
      <div className="toolbar">
        <label>
          Start the next run from{' '}
          <select
            aria-label="Start the next run from"
            value={fineTune.modelId ?? ''}
            disabled={locked}
            onChange={(event) => onFineTune({ ...fineTune, modelId: event.target.value || null })}
          >
            <option value="">fresh weights</option>
            {models.list.map((model) => (
              <option key={model.id} value={model.id}>
                {model.name} (fine-tune)
              </option>
            ))}
          </select>
        </label>
        <label>
          Freeze{' '}
          <select
            aria-label="Freeze"
            value={fineTune.freezeThrough ?? ''}
            disabled={locked || fineTune.modelId === null}
            onChange={(event) => onFineTune({ ...fineTune, freezeThrough: (event.target.value || null) as Stage | null })}
          >
            <option value="">nothing</option>
            {STAGES.map((stage) => (
              <option key={stage} value={stage}>
                {FREEZE_LABELS[stage]}
              </option>
            ))}
          </select>
        </label>
        {fineTune.modelId !== null && (
          <span className="subtle">
            The run keeps the saved model&apos;s network (width, resolution, architecture) and gets a new classifier for
            its dataset&apos;s classes.
          </span>
        )}
      </div>
    </section>
  );
}
