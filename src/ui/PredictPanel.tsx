import { type PointerEvent, useRef, useState } from 'react';
import { describeConfig } from '../config/trainConfig';
import type { PredictSource, PredictionResult } from '../worker/protocol';
import { Thumbnail } from './Thumbnail';
import type { RunRecord } from '../domain/run';
import type { SavedModelInfo } from '../domain/savedModel';

const PAD_SIDE = 196;
const BRUSH = 16;

interface Props {
  /** Runs with at least one finished epoch, whose latest weights the worker keeps. */
  runs: RunRecord[];
  models: SavedModelInfo[];
  /** The run to use unless the user picks another (the one on the charts). */
  defaultRunId: string | undefined;
  predict(source: PredictSource, image: Blob): Promise<PredictionResult>;
}

/** A choice of the select: "run:<id>" or "model:<id>". */
function sourceOf(choice: string, runs: RunRecord[]): PredictSource | null {
  const [kind, id] = [choice.slice(0, choice.indexOf(':')), choice.slice(choice.indexOf(':') + 1)];
  if (kind === 'model') return { kind: 'model', modelId: id };
  const run = runs.find((r) => r.id === id);
  if (!run) return null;
  return { kind: 'run', runId: run.id, config: run.config, datasetId: run.dataset?.id, inputChannels: run.startedFrom?.inputChannels };
}

function canvasBlob(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('The drawing could not be read.'))), 'image/png'),
  );
}

/** Draw or drop an image and see the three classes the trained network ranks highest. */
export function PredictPanel({ runs, models, defaultRunId, predict }: Props) {
  const [chosen, setChosen] = useState<string | null>(null);
  const [result, setResult] = useState<PredictionResult | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const pad = useRef<HTMLCanvasElement>(null);
  const drawing = useRef(false);
  const fallback = runs.find((r) => r.id === defaultRunId) ?? runs[runs.length - 1];
  const choice = chosen ?? (fallback ? `run:${fallback.id}` : models[0] ? `model:${models[0].id}` : '');
  const source = sourceOf(choice, runs);

  // The pad's black is its CSS background: untouched pixels stay transparent, which the worker reads as black.
  const strokes = useRef<(readonly [number, number])[][]>([]);
  const clearPad = () => {
    strokes.current = [];
    pad.current?.getContext('2d')?.clearRect(0, 0, PAD_SIDE, PAD_SIDE);
  };

  const classify = async (image: Blob) => {
    if (!source) return;
    setProblem(null);
    try {
      setResult(await predict(source, image));
    } catch (error) {
      setResult(null);
      setProblem((error as Error).message);
    }
  };

  const point = (event: PointerEvent<HTMLCanvasElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    // Whole pixels: the same stroke draws the same image wherever the pad sits on the page.
    const x = Math.round(((event.clientX - box.left) * PAD_SIDE) / box.width);
    const y = Math.round(((event.clientY - box.top) * PAD_SIDE) / box.height);
    return [x, y] as const;
  };
  // Every stroke is redrawn whole, once: the image then depends on the path, not on how many pointer events the
  // browser delivered along it (stroking each new piece would darken the overlaps).
  const stroke = (event: PointerEvent<HTMLCanvasElement>, start: boolean) => {
    const context = event.currentTarget.getContext('2d');
    if (!context) return;
    if (start) strokes.current.push([]);
    strokes.current[strokes.current.length - 1]!.push(point(event));
    context.clearRect(0, 0, PAD_SIDE, PAD_SIDE);
    context.strokeStyle = '#fff';
    context.lineWidth = BRUSH;
    context.lineCap = 'round';
    context.lineJoin = 'round';
    for (const path of strokes.current) {
      context.beginPath();
      path.forEach(([x, y], k) => (k === 0 ? context.moveTo(x, y) : context.lineTo(x, y)));
      if (path.length === 1) context.lineTo(path[0]![0], path[0]![1]);
      context.stroke();
    }
  };

  if (runs.length === 0 && models.length === 0) return null;
  return (
    <section className="panel predict" aria-label="Predict">
      <h2>Predict</h2>
      <div className="predict-body">
        <div>
          <label>
            Model{' '}
            <select aria-label="Model to predict with" value={choice} onChange={(event) => setChosen(event.target.value)}>
              {[...runs].reverse().map((r) => (
                <option key={r.id} value={`run:${r.id}`}>
                  run: {r.name || describeConfig(r.config)} · epoch {r.epochs.length}
                </option>
              ))}
              {models.map((m) => (
                <option key={m.id} value={`model:${m.id}`}>
                  saved: {m.name}
                </option>
              ))}
            </select>
          </label>
          <canvas
            ref={pad}
            width={PAD_SIDE}
            height={PAD_SIDE}
            className="drawing-pad"
            aria-label="Drawing pad: draw a garment in white"
            onPointerDown={(event) => {
              drawing.current = true;
              event.currentTarget.setPointerCapture(event.pointerId);
              stroke(event, true);
            }}
            onPointerMove={(event) => drawing.current && stroke(event, false)}
            onPointerUp={(event) => {
              drawing.current = false;
              void canvasBlob(event.currentTarget).then(classify);
            }}
          />
          <div className="toolbar">
            <button
              type="button"
              onClick={() => {
                clearPad();
                setResult(null);
              }}
            >
              Clear
            </button>
            <label className="file-button">
              Or choose an image…
              <input
                type="file"
                accept="image/*"
                onChange={(event) => {
                  const file = event.target.files?.[0];
                  event.target.value = '';
                  if (file) void classify(file);
                }}
              />
            </label>
          </div>
        </div>
        <div
          className="prediction"
          data-testid="prediction"
          onDragOver={(event) => event.preventDefault()}
          onDrop={(event) => {
            event.preventDefault();
            const file = event.dataTransfer.files[0];
            if (file) void classify(file);
          }}
        >
          {problem && (
            <p className="error" role="alert">
              {problem}
            </p>
          )}
          {result ? (
            <>
              <Thumbnail
                pixels={result.pixels}
                side={result.side}
                channels={result.channels}
                size={84}
                label="The image as the network sees it"
              />
              <ol data-testid="top-classes">
                {result.top.map(({ classIndex, probability }) => (
                  <li key={classIndex} data-probability={probability}>
                    <span className="bar" style={{ width: `${Math.round(probability * 100)}%` }} />
                    {result.classes[classIndex] ?? `class ${classIndex}`} — {(probability * 100).toFixed(1)} %
                  </li>
                ))}
              </ol>
              <p className="subtle">Weights of epoch {result.epoch}. Auxiliary classifiers, if any, are not used.</p>
            </>
          ) : (
            <p className="subtle">Draw on the pad, or drop an image here: the network&apos;s three best guesses appear here.</p>
          )}
        </div>
      </div>
    </section>
  );
}
