import { D2L_STUDY, matchingPreset, reductions } from '../experiments/presets';
import { type RunRecord, latestEpoch } from '../experiments/runHistory';
import { formatNumber, formatRate } from './format';

/** This machine's finished or stopped run of a preset with the lowest final training loss. */
function bestRun(runs: RunRecord[], presetId: string): RunRecord | undefined {
  return runs
    .filter((run) => run.epochs.length > 0 && matchingPreset(run.config)?.id === presetId)
    .sort((a, b) => latestEpoch(a)!.trainLoss - latestEpoch(b)!.trainLoss)[0];
}

export function PresetComparison({ runs }: { runs: RunRecord[] }) {
  return (
    <section className="panel study" aria-label="d2l tuning study">
      <h2>The d2l tuning study: article vs this machine</h2>
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
                        `${run.epochs.length} of ${run.config.epochs} epochs on ${run.backend}`,
                        ...reductions(run.config),
                      ].join(', ')}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="subtle">Article figures: CUDA GPU, PyTorch, 96×96, full data. Left: article · right: this machine.</p>
    </section>
  );
}
