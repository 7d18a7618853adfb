import type { SavedModelInfo } from '../domain/savedModel';
import { STAGES, type Stage } from '../domain/transfer';

export interface FineTuneChoice {
  /** The saved model the next run starts from; null trains from fresh weights. */
  modelId: string | null;
  freezeThrough: Stage | null;
}

export const FRESH_WEIGHTS: FineTuneChoice = { modelId: null, freezeThrough: null };

const FREEZE_LABELS: Record<Stage, string> = { b1: 'b1', b2: 'b1–b2', b3: 'b1–b3', b4: 'b1–b4', b5: 'b1–b5 (only the classifier learns)' };

interface Props {
  models: readonly SavedModelInfo[];
  choice: FineTuneChoice;
  onChoose(choice: FineTuneChoice): void;
  locked: boolean;
}

/** Where the next run starts: fresh weights, or a saved model fine-tuned with some of its stages frozen. */
export function ModelStart({ models, choice, onChoose, locked }: Props) {
  return (
    <div className="toolbar model-start">
      <label>
        Start the next run from{' '}
        <select
          aria-label="Start the next run from"
          value={choice.modelId ?? ''}
          disabled={locked}
          onChange={(event) => onChoose({ ...choice, modelId: event.target.value || null })}
        >
          <option value="">fresh weights</option>
          {models.map((model) => (
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
          value={choice.freezeThrough ?? ''}
          disabled={locked || choice.modelId === null}
          onChange={(event) => onChoose({ ...choice, freezeThrough: (event.target.value || null) as Stage | null })}
        >
          <option value="">nothing</option>
          {STAGES.map((stage) => (
            <option key={stage} value={stage}>
              {FREEZE_LABELS[stage]}
            </option>
          ))}
        </select>
      </label>
      {choice.modelId !== null && (
        <span className="subtle">
          The run keeps the saved model&apos;s network (width, resolution, architecture) and gets a new classifier for
          its dataset&apos;s classes.
        </span>
      )}
    </div>
  );
}
