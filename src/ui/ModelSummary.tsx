import type { SummaryState } from '../worker/workerMessages';
import { formatBytes } from './format';
import { ScrollBox } from './ScrollBox';

const count = (n: number) => n.toLocaleString('en');
const macs = (n: number) => (n >= 1e8 ? `${(n / 1e9).toFixed(3)} G` : `${(n / 1e6).toFixed(1)} M`);
const shape = (dims: number[]) => (dims.length === 3 ? `${dims[2]} × ${dims[0]} × ${dims[1]}` : dims.join(' × '));

/** The network the settings build: what each block outputs and costs, and the memory a training step needs. */
export function ModelSummary({ state }: { state: SummaryState }) {
  if (state.status === 'none') return null;
  if (state.status === 'failed') {
    return (
      <section className="panel summary" aria-label="Model summary" data-testid="model-summary">
        <p className="error">The network these settings build could not be measured: {state.message}</p>
      </section>
    );
  }
  const { summary } = state;
  const { config, memory } = summary;
  return (
    <section className="panel summary" aria-label="Model summary" data-testid="model-summary">
      <details>
        <summary>
          <strong>GoogLeNet</strong> at {config.resolution}×{config.resolution}, width {config.width}:{' '}
          <span data-testid="total-params">{count(summary.totalParams)}</span> parameters ·{' '}
          {macs(summary.totalMacs)} multiply-accumulates per image · a training step at batch{' '}
          {config.batchSize} needs about {formatBytes(memory.parameterBytes + memory.activationBytes)} (largest buffer{' '}
          {formatBytes(memory.largestTensor.bytes)})
        </summary>
        <ScrollBox label="Blocks of the network">
          <table>
            <thead>
              <tr>
                <th>Block</th>
                <th>Output (C × H × W)</th>
                <th>Parameters</th>
                <th>MACs per image</th>
              </tr>
            </thead>
            <tbody>
              {summary.blocks.map((block) => (
                <tr key={block.name}>
                  <td>{block.name}</td>
                  <td>{shape(block.outputShape)}</td>
                  <td>{count(block.params)}</td>
                  <td>{count(block.macs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollBox>
        <p className="subtle">
          Weights and gradients {formatBytes(memory.parameterBytes)}; activations kept for the backward pass and their
          gradients {formatBytes(memory.activationBytes)} at batch {config.batchSize}.
        </p>
      </details>
    </section>
  );
}
