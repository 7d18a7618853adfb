import { useState } from 'react';
import { D2L_STUDY, STUDY_SCALES, type StudyScale, matchingPreset, reductions, scaledPresetConfig } from '../experiments/presets';
import { type RunRecord, latestEpoch, newRunId } from '../experiments/runHistory';
import { type QueuedTurn, sequentialPlan } from '../experiments/runQueue';
import { formatNumber, formatRate } from './format';
import { QueueProgress } from './QueueProgress';

const STUDY_PREFIX = 'd2l study #';

interface Props {
  runs: RunRecord[];
  /** The seed of the settings above: every run of a queued study starts from the weights it gives. */
  seed: number | null;
  canStart: boolean;
  disabledReason: string | null;
  queue: { pending: QueuedTurn[]; current: QueuedTurn | null };
  onQueue(turns: QueuedTurn[]): void;
}

/** This machine's run of a preset with the lowest final training loss, finished or resumed. */
function bestRun(runs: RunRecord[], presetId: string): RunRecord | undefined {
  return runs
    .filter((run) => run.epochs.length > 0 && matchingPreset(run.config)?.id === presetId)
    .sort((a, b) => latestEpoch(a)!.trainLoss - latestEpoch(b)!.trainLoss)[0];
}

const studyNumber = (group: string | null) =>
  group?.startsWith(STUDY_PREFIX) ? Number.parseInt(group.slice(STUDY_PREFIX.length), 10) : 0;

export function PresetComparison({ runs, seed, canStart, disabledReason, queue, onQueue }: Props) {
  const [scale, setScale] = useState<StudyScale>('classroom');
  const studyTurns = [queue.current, ...queue.pending].filter(
    (turn): turn is QueuedTurn => turn?.group.startsWith(STUDY_PREFIX) === true,
  );
  const queueAll = () => {
    if (seed === null) return;
    const next = runs.reduce((latest, run) => Math.max(latest, studyNumber(run.group)), 0) + 1;
    const planned = D2L_STUDY.map((preset) => ({ runId: newRunId(), config: scaledPresetConfig(preset, scale, seed) }));
    onQueue(sequentialPlan(planned, `${STUDY_PREFIX}${next} (${scale})`));
  };
  const blocked = disabledReason ?? (seed === null ? 'Fix the seed in the settings above first.' : null);

  return (
    <section className="panel study" aria-label="Reproduce d2l">
      <h2>Reproduce d2l: the tuning study, article vs this machine</h2>
      <div className="toolbar">
        <label>
          Scale{' '}
          <select aria-label="Study scale" value={scale} onChange={(event) => setScale(event.target.value as StudyScale)}>
            {(Object.keys(STUDY_SCALES) as StudyScale[]).map((key) => (
              <option key={key} value={key}>
                {STUDY_SCALES[key].label}
              </option>
            ))}
          </select>
        </label>
        <button type="button" disabled={!canStart || blocked !== null} onClick={queueAll}>
          Queue all five
        </button>
        {blocked !== null && <span className="why">{blocked}</span>}
      </div>
      {studyTurns.length > 0 && <QueueProgress label="Study" turns={studyTurns} runs={runs} />}
      <table>
        <thead>
          <tr>
            <th>Preset</th>
            <th>Train loss</th>
            <th>Train acc</th>
            <th>Test acc</th>
            <th>Examples/s</th>
            <th>Notes</th>
          </tr>
        </thead>
        <tbody>
          {D2L_STUDY.map((preset) => {
            const run = bestRun(runs, preset.id);
            const last = run && latestEpoch(run);
            const a = preset.article;
            const pair = (article: string, mine: string) => (
              <>
                {article} <span className="mine">/ {mine}</span>
              </>
            );
            return (
              <tr key={preset.id} data-testid="preset-row">
                <td>{preset.label}</td>
                <td>{pair(a.trainLoss.toFixed(3), formatNumber(last?.trainLoss))}</td>
                <td>{pair(a.trainAccuracy.toFixed(3), formatNumber(last?.trainAccuracy))}</td>
                <td>{pair(a.testAccuracy.toFixed(3), formatNumber(last?.testAccuracy))}</td>
                <td>{pair(String(a.examplesPerSecond), formatRate(last?.examplesPerSecond))}</td>
                <td className="subtle">
                  {run === undefined
                    ? 'not run here yet'
                    : [
                        `${run.epochs.length} of ${preset.config.epochs} epochs on ${run.backend}`,
                        ...reductions(run.config),
                      ].join(', ')}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="subtle">
        Article figures: CUDA GPU, PyTorch, 96×96, full data. Left: article · right: this machine&apos;s best run of the
        preset (lowest final training loss). A queued study runs the five one after another with the seed of the settings
        above, so all five start from the same weights.
      </p>
    </section>
  );
}
