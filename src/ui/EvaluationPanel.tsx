import { useState } from 'react';
import { perClassAccuracy } from '../train/evaluation';
import { ScrollBox } from './ScrollBox';
import { Thumbnail } from './Thumbnail';
import type { Evaluation } from '../domain/training';

/** Where the latest epoch's mistakes go: a confusion matrix, each class's accuracy, and some misclassified images. */
export function EvaluationPanel({ evaluation, label = 'What the model learned' }: { evaluation: Evaluation | null | undefined; label?: string }) {
  const [normalised, setNormalised] = useState(false);
  if (!evaluation) return null;
  const className = (index: number) => evaluation.classes[index] ?? `class ${index}`;
  const accuracy = perClassAccuracy(evaluation.confusion);
  const rowTotals = evaluation.confusion.map((row) => row.reduce((sum, count) => sum + count, 0));
  const largest = Math.max(...evaluation.confusion.flatMap((row, i) => row.map((count) => (normalised ? count / (rowTotals[i] || 1) : count))));
  return (
    <section className="panel evaluation" aria-label={label}>
      <div className="chart-header">
        <h2>
          Test images after epoch {evaluation.epoch}{' '}
          <span className="subtle">
            {(evaluation.accuracy * 100).toFixed(1)} % correct of {rowTotals.reduce((a, b) => a + b, 0)}
          </span>
        </h2>
        <label>
          <input type="checkbox" checked={normalised} onChange={(event) => setNormalised(event.target.checked)} /> row
          share
        </label>
      </div>
      <div className="evaluation-body">
        <ScrollBox label="Confusion matrix">
          <table className="confusion" data-testid="confusion-matrix">
            <thead>
              <tr>
                <th>true \ predicted</th>
                {evaluation.confusion.map((_, predicted) => (
                  <th key={predicted} title={className(predicted)}>
                    {predicted}
                  </th>
                ))}
                <th>accuracy</th>
              </tr>
            </thead>
            <tbody>
              {evaluation.confusion.map((row, label) => (
                <tr key={label} data-testid="confusion-row">
                  <th>
                    {label} {className(label)}
                  </th>
                  {row.map((count, predicted) => {
                    const value = normalised ? count / (rowTotals[label] || 1) : count;
                    const strength = largest > 0 ? value / largest : 0;
                    return (
                      <td
                        key={predicted}
                        className={predicted === label ? 'diagonal' : undefined}
                        style={{ background: `rgba(31, 111, 235, ${(0.75 * strength).toFixed(3)})` }}
                      >
                        {normalised ? value.toFixed(2) : count}
                      </td>
                    );
                  })}
                  <td>{Number.isFinite(accuracy[label]) ? `${(accuracy[label]! * 100).toFixed(0)} %` : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollBox>
        <div className="misclassified" data-testid="misclassified">
          <h3>Misclassified ({evaluation.misclassified.length} shown)</h3>
          {evaluation.misclassified.length === 0 ? (
            <p className="subtle">None: every test image was classified correctly.</p>
          ) : (
            <ul>
              {evaluation.misclassified.map((m) => (
                <li key={m.index} title={`test image ${m.index}`}>
                  <Thumbnail
                    pixels={m.pixels}
                    side={evaluation.side}
                    channels={evaluation.channels}
                    size={56}
                    label={`${className(m.label)} taken for ${className(m.predicted)}`}
                  />
                  <small>
                    {className(m.label)}
                    <br />→ {className(m.predicted)}
                  </small>
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
    </section>
  );
}
