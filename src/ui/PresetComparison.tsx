import { type ReactNode, useState } from 'react';
import { DEFAULT_CONFIG } from '../config/trainConfig';
import { D2L_STUDY, STUDY_SCALES, type StudyScale, reductions, scaledPresetConfig } from '../experiments/presets';
import { type ReferenceFile, type ReferenceRun, studyReference } from '../experiments/reference';
import { type ArticleOrder, articleOrder, bestStudyRun } from '../experiments/reproduce';
import { latestEpoch, newRunId } from '../experiments/runHistory';
import { type QueuedTurn, sequentialPlan } from '../experiments/runQueue';
import { formatNumber, formatRate } from './format';
import { QueueProgress } from './QueueProgress';
import { ScrollBox } from './ScrollBox';
import { TrainingCharts } from './TrainingCharts';
import type { RunRecord } from '../domain/run';

const STUDY_PREFIX = 'd2l study #';

interface Props {
  runs: RunRecord[];
  /** The seed of the settings: every run of a queued study starts from the weights it gives. */
  seed: number | null;
  /** The shipped PyTorch reference curves, once loaded. */
  references: ReferenceFile | null;
  canStart: boolean;
  disabledReason: string | null;
  queue: { pending: QueuedTurn[]; current: QueuedTurn | null };
  onQueue(turns: QueuedTurn[]): void;
}

interface Figures {
  trainLoss: number;
  trainAccuracy: number;
  testAccuracy: number;
  examplesPerSecond: number;
}

const studyNumber = (group: string | null) =>
  group?.startsWith(STUDY_PREFIX) ? Number.parseInt(group.slice(STUDY_PREFIX.length), 10) : 0;

const referenceFigures = (run: ReferenceRun): Figures => ({ ...run.epochs[run.epochs.length - 1]!, examplesPerSecond: run.examplesPerSecond });
const referenceMachine = (run: ReferenceRun) => `${run.device}, PyTorch ${run.torch}, ${run.threads} threads`;

/** One source's figures; every cell has a test id, so a test can read e.g. the reference's test accuracy. */
function FigureCells({ figures }: { figures: Figures | undefined }) {
  return (
    <>
      <td data-testid="train-loss">{formatNumber(figures?.trainLoss)}</td>
      <td data-testid="train-acc">{formatNumber(figures?.trainAccuracy)}</td>
      <td data-testid="test-acc">{formatNumber(figures?.testAccuracy)}</td>
      <td data-testid="examples-per-second">{formatRate(figures?.examplesPerSecond)}</td>
    </>
  );
}

const orderText = ({ kept, pairs }: ArticleOrder) => (pairs === 0 ? 'no pair yet (no figures)' : `${kept} of ${pairs} pairs`);

/** A source without figures at this scale: the reason, across the figure columns. */
const Missing = ({ children }: { children: ReactNode }) => (
  <td colSpan={5} className="subtle">
    {children}
  </td>
);

export function PresetComparison({ runs, seed, references, canStart, disabledReason, queue, onQueue }: Props) {
  const [scale, setScale] = useState<StudyScale>('classroom');
  const studyTurns = [queue.current, ...queue.pending].filter(
    (turn): turn is QueuedTurn => turn?.group.startsWith(STUDY_PREFIX) === true,
  );
  const latestStudy = runs.reduce((latest, run) => Math.max(latest, studyNumber(run.group)), 0);
  // The curves of the study queued last, so that a study started here is watched here.
  const studyRuns = latestStudy === 0 ? [] : runs.filter((run) => studyNumber(run.group) === latestStudy);
  const queueAll = () => {
    if (seed === null) return;
    const planned = D2L_STUDY.map((preset) => ({ runId: newRunId(), config: scaledPresetConfig(preset, scale, seed) }));
    onQueue(sequentialPlan(planned, `${STUDY_PREFIX}${latestStudy + 1} (${scale})`));
  };
  const blocked = disabledReason ?? (seed === null ? 'Fix the seed in the settings first.' : null);
  // While the settings are invalid the table still shows a reference: the default seed's.
  const referenceSeed = seed ?? DEFAULT_CONFIG.seed;
  const faithful = scale === 'faithful';
  const { epochDivisor } = STUDY_SCALES[scale];
  const departures = reductions(scaledPresetConfig(D2L_STUDY[0]!, scale, referenceSeed));
  if (epochDivisor > 1) departures.push(`epochs ÷ ${epochDivisor}`);
  const rows = D2L_STUDY.map((preset) => ({
    preset,
    scaled: scaledPresetConfig(preset, scale, referenceSeed),
    reference: faithful ? undefined : studyReference(references, scale, preset.id, referenceSeed),
    run: bestStudyRun(runs, preset, scale),
  }));
  const machines = [...new Set(rows.flatMap(({ reference }) => (reference ? [referenceMachine(reference)] : [])))];
  const referenceOrder = articleOrder(
    D2L_STUDY,
    rows.map(({ reference }) => (reference ? referenceFigures(reference).testAccuracy : undefined)),
  );
  const browserOrder = articleOrder(
    D2L_STUDY,
    rows.map(({ run }) => (run ? latestEpoch(run)?.testAccuracy : undefined)),
  );

  return (
    <section className="panel study" aria-label="Reproduce d2l">
      <h2>Reproduce d2l: the article, PyTorch at this scale, and this browser</h2>
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
      <p className="subtle" data-testid="scale-departures">
        {departures.length === 0 ? 'd2l exactly: 96×96, all 60,000 images, the article’s epochs.' : `Departs from d2l: ${departures.join(', ')}.`}
      </p>
      {studyTurns.length > 0 && <QueueProgress label="Study" turns={studyTurns} runs={runs} />}
      {studyRuns.length > 0 && (
        <div className="study-curves" data-testid="study-curves">
          <h3>{studyRuns[0]!.group}</h3>
          <TrainingCharts runs={studyRuns} references={references} label="Curves of the study" />
        </div>
      )}
      <ScrollBox label="Figures per preset">
        <table className="study-table">
          <thead>
            <tr>
              <th>Preset</th>
              <th>Source</th>
              <th>Train loss</th>
              <th>Train acc</th>
              <th>Test acc</th>
              <th>Examples/s</th>
              <th>Notes</th>
            </tr>
          </thead>
          {rows.map(({ preset, scaled, reference, run }) => {
            const last = run && latestEpoch(run);
            return (
              <tbody key={preset.id} data-testid="preset-row" data-preset={preset.id}>
                <tr data-testid="study-article">
                  <th scope="rowgroup" rowSpan={3}>
                    lr {preset.config.learningRate} · batch {scaled.batchSize}
                    <br />
                    <span className="subtle">
                      {scaled.epochs} epochs{faithful ? '' : ` (article: ${preset.config.epochs})`}
                    </span>
                  </th>
                  <td>Article</td>
                  <FigureCells figures={preset.article} />
                  <td className="subtle">96×96, full data, CUDA GPU</td>
                </tr>
                <tr data-testid="study-reference">
                  <td>PyTorch reference</td>
                  {reference ? (
                    <>
                      <FigureCells figures={referenceFigures(reference)} />
                      <td className="subtle">
                        {reference.epochs.length} of {scaled.epochs} epochs, seed {reference.settings.seed}
                        {reference.settings.seed === referenceSeed ? '' : ` (none shipped with seed ${referenceSeed})`}
                      </td>
                    </>
                  ) : (
                    <Missing>
                      {faithful
                        ? 'The article is the reference at this scale.'
                        : references === null
                          ? 'The reference file is not loaded.'
                          : 'Not in the shipped reference file yet.'}
                    </Missing>
                  )}
                </tr>
                <tr data-testid="study-browser">
                  <td>This browser</td>
                  {run ? (
                    <>
                      <FigureCells figures={last} />
                      <td className="subtle">
                        {run.epochs.length} of {scaled.epochs} epochs on {run.backend}, seed {run.config.seed}
                      </td>
                    </>
                  ) : (
                    <Missing>Not run here at this scale yet.</Missing>
                  )}
                </tr>
              </tbody>
            );
          })}
        </table>
      </ScrollBox>
      {!faithful && (
        <p data-testid="article-order">
          The article ranks the five presets by test accuracy; of each pair of presets, the PyTorch reference at this
          scale keeps the article’s order in {orderText(referenceOrder)}, this browser’s runs in {orderText(browserOrder)}.
        </p>
      )}
      <p className="subtle" data-testid="reference-machine">
        {faithful
          ? 'No PyTorch reference is shipped at the faithful scale (hours of GPU per preset): the article’s figures are that reference.'
          : machines.length > 0
            ? `PyTorch reference (scripts/parity/reference_curves.py, same settings): ${machines.join('; ')}.`
            : 'No PyTorch reference is shipped at this scale yet.'}
      </p>
      <p className="subtle">
        This browser: its run of the preset at this scale (any seed, no more epochs) with the lowest final training
        loss. A queued study runs the five one after another with the seed of the settings, so all five start
        from the same weights.
      </p>
    </section>
  );
}
