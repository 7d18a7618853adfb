import { type PointerEvent, useRef, useState } from 'react';
import { describeConfig } from '../config/trainConfig';
import type { RunRecord } from '../experiments/runHistory';
import type { PredictionResult } from '../worker/protocol';
import { Thumbnail } from './Thumbnail';

const PAD_SIDE = 196;
const BRUSH = 16;

interface Props {
  /** Runs with at least one finished epoch, whose latest weights the worker keeps. */
  runs: RunRecord[];
  /** The run to use unless the user picks another (the one on the charts). */
  defaultRunId: string | undefined;
  predict(run: RunRecord, image: Blob): Promise<PredictionResult>;
}

function canvasBlob(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('The drawing could not be read.'))), 'image/png'),
  );
}

/** Draw or drop an image and see the three classes the trained network ranks highest. */
export function PredictPanel({ runs, defaultRunId, predict }: Props) {
  const [chosenRunId, setChosenRunId] = useState<string | null>(null);
  const [result, setResult] = useState<PredictionResult | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const pad = useRef<HTMLCanvasElement>(null);
  const drawing = useRef(false);
  const run = runs.find((r) => r.id === (chosenRunId ?? defaultRunId)) ?? runs[runs.length - 1];

  // The pad's black is its CSS background: untouched pixels stay transparent, which the worker reads as black.
  const clearPad = () => pad.current?.getContext('2d')?.clearRect(0, 0, PAD_SIDE, PAD_SIDE);

  const classify = async (image: Blob) => {
    if (!run) return;
    setProblem(null);
    try {
      setResult(await predict(run, image));
    } catch (error) {
      setResult(null);
      setProblem((error as Error).message);
    }
  };

  const point = (event: PointerEvent<HTMLCanvasElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    return [((event.clientX - box.left) * PAD_SIDE) / box.width, ((event.clientY - box.top) * PAD_SIDE) / box.height] as const;
  };
  const stroke = (event: PointerEvent<HTMLCanvasElement>, start: boolean) => {
    const context = event.currentTarget.getContext('2d');
    if (!context) return;
    const [x, y] = point(event);
    context.strokeStyle = '#fff';
    context.lineWidth = BRUSH;
    context.lineCap = 'round';
    context.lineJoin = 'round';
    if (start) {
      context.beginPath();
      context.moveTo(x, y);
    }
    context.lineTo(x, y);
    context.stroke();
  };

  if (runs.length === 0) return null;
  return (
    <section className="panel predict" aria-label="Predict">
      <h2>Predict</h2>
      <div className="predict-body">
        <div>
          <label>
            Model{' '}
            <select aria-label="Model to predict with" value={run?.id} onChange={(event) => setChosenRunId(event.target.value)}>
              {[...runs].reverse().map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name || describeConfig(r.config)} · epoch {r.epochs.length}
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
