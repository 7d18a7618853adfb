import { useEffect, useRef, useState } from 'react';
import {
  type ConfigDraft,
  type ConfigKey,
  configFromQuery,
  type NetworkShape,
  draftFromSettings,
  formFromConfig,
  formFromDraft,
  networkShape,
  queryFromConfig,
} from './config/trainConfig';
import { D2L_STUDY, FIRST_VISIT_CONFIG, type StudyPreset, presetShown } from './experiments/presets';
import { BackendStatus } from './ui/BackendStatus';
import { ModelSummary } from './ui/ModelSummary';
import { PresetComparison } from './ui/PresetComparison';
import { ResultsTable } from './ui/ResultsTable';
import { RunProgress } from './ui/RunProgress';
import { SettingsForm } from './ui/SettingsForm';
import { TrainingCharts } from './ui/TrainingCharts';
import { useRunHistory } from './experiments/useRunHistory';
import { pytorchCounterparts } from './experiments/runHistory';
import { useRunQueue } from './experiments/useRunQueue';
import { useReferences } from './experiments/useReferences';
import { BatchSizeLab } from './ui/BatchSizeLab';
import { ScaleChooser } from './ui/ScaleChooser';
import { DatasetPanel } from './ui/DatasetPanel';
import { useStoredList } from './experiments/useStoredList';
import { ModelsPanel, type FineTuneChoice } from './ui/ModelsPanel';
import { type TrainConfig, architectureOf, describeConfig, inputChannels } from './config/trainConfig';
import { EvaluationPanel } from './ui/EvaluationPanel';
import { PredictPanel } from './ui/PredictPanel';
import { ClassroomBar } from './ui/ClassroomBar';
import { type ViewSettings, queryFromView, viewFromQuery } from './ui/classroom';
import { useClassroomShortcuts } from './ui/useClassroomShortcuts';
import { useTrainingWorker } from './worker/useTrainingWorker';
import { downloadBlob } from './ui/download';
import { datasetRef } from './domain/dataset';

const fromUrl = configFromQuery(window.location.search);
// A link names its settings against d2l's faithful ones, so links keep their meaning; a bare visit starts small.
const initialConfig = fromUrl.hasSettings ? fromUrl.config : FIRST_VISIT_CONFIG;
const viewFromUrl = viewFromQuery(window.location.search);
const urlWarnings = [...fromUrl.warnings, ...viewFromUrl.warnings];

/**
 * Switching the model brings the settings it is defined with: the paper's network is built for 224×224 with its
 * auxiliary classifiers and dropout; d2l's for 96×96 without. Each stays switchable afterwards.
 */
function withField(draft: ConfigDraft, key: ConfigKey, value: string): ConfigDraft {
  if (key !== 'model' || value === draft.model) return { ...draft, [key]: value };
  const paper = value === 'paper';
  return { ...draft, model: value, resolution: paper ? '224' : '96', auxHeads: paper ? '1' : '0', dropout: paper ? '1' : '0' };
}

/** Fine-tuning keeps the saved model's network (its weights fit no other), and takes the run's other settings. */
function withNetworkOf(config: TrainConfig, network: TrainConfig): TrainConfig {
  return { ...config, width: network.width, resolution: network.resolution, ...architectureOf(network) };
}

function applyPreset(draft: ConfigDraft, preset: StudyPreset): ConfigDraft {
  return {
    ...draft,
    batchSize: String(preset.config.batchSize),
    learningRate: String(preset.config.learningRate),
    epochs: String(preset.config.epochs),
  };
}

export function App() {
  const history = useRunHistory();
  const references = useReferences();
  const referenceFile = references.status === 'ready' ? references.file : null;
  const worker = useTrainingWorker(history.dispatch);
  const datasets = useStoredList('datasets', 'Imported datasets');
  const savedModels = useStoredList('models', 'Saved models');
  const [fineTune, setFineTune] = useState<FineTuneChoice>({ modelId: null, freezeThrough: null });
  const fineTuneModel = savedModels.list.find((m) => m.id === fineTune.modelId) ?? null;
  const [datasetId, setDatasetId] = useState<string | null>(null);
  const chosenDataset = datasets.list.find((d) => d.id === datasetId) ?? null;
  const { datasetImport } = worker;
  useEffect(() => {
    if (datasetImport.status === 'done') setDatasetId(datasetImport.info.id);
  }, [datasetImport]);
  const [form, setForm] = useState(() => formFromConfig(initialConfig));
  const { draft, validation } = form;
  const editDraft = (change: (current: ConfigDraft) => ConfigDraft) => setForm((f) => formFromDraft(change(f.draft)));
  const [selectedRunId, setSelectedRunId] = useState<string | undefined>();
  const [compared, setCompared] = useState<ReadonlySet<string>>(new Set());
  const toggleCompare = (runId: string) =>
    setCompared((current) => {
      const next = new Set(current);
      if (!next.delete(runId)) next.add(runId);
      return next;
    });
  const [actionStatus, setActionStatus] = useState<string | null>(null);
  const [view, setView] = useState<ViewSettings>(viewFromUrl.view);
  useEffect(() => {
    document.documentElement.dataset.theme = view.theme;
    document.documentElement.classList.toggle('presenter', view.presenter);
    // The address bar always holds the current view, so a copied or bookmarked URL shows the class the same page.
    const url = new URL(window.location.href);
    queryFromView(view, url.searchParams);
    window.history.replaceState(null, '', url);
  }, [view]);
  const autostartPending = useRef(fromUrl.autostart);
  const ready = worker.backend.status === 'ready' && worker.data.status === 'ready';
  const queue = useRunQueue(history.runs, {
    idle: ready && worker.activeRunId === null,
    start: worker.start,
    resume: worker.resume,
  });
  const queueBusy = queue.current !== null || queue.pending.length > 0;
  const running = worker.activeRunId !== null || queueBusy;

  const disabledReason = !ready
    ? worker.backend.status === 'failed' || worker.data.status === 'failed'
      ? 'Training is unavailable until the backend and the data load (see above).'
      : 'Waiting for the backend and the data to load…'
    : !validation.ok
      ? 'Fix the highlighted settings first.'
      : null;

  const stop = () => {
    queue.cancel();
    worker.stop();
  };

  const stepPreset = (direction: 1 | -1) => {
    if (running) return;
    const current = presetShown(draft);
    const index = current === undefined ? (direction === 1 ? -1 : 0) : D2L_STUDY.indexOf(current);
    const next = D2L_STUDY[(index + direction + D2L_STUDY.length) % D2L_STUDY.length]!;
    editDraft((d) => applyPreset(d, next));
  };

  const train = () => {
    if (!validation.ok || !ready || running) return;
    setSelectedRunId(undefined);
    const dataset = chosenDataset && datasetRef(chosenDataset);
    const startedFrom = fineTuneModel && {
      modelId: fineTuneModel.id,
      modelName: fineTuneModel.name,
      freezeThrough: fineTune.freezeThrough,
      inputChannels: inputChannels(fineTuneModel.config.model, fineTuneModel.channels),
      check: null,
    };
    const config = fineTuneModel ? withNetworkOf(validation.config, fineTuneModel.config) : validation.config;
    worker.start({ config, dataset, startedFrom });
  };

  useClassroomShortcuts({
    train,
    stop,
    'next-preset': () => stepPreset(1),
    'previous-preset': () => stepPreset(-1),
    'toggle-presenter': () => setView((v) => ({ ...v, presenter: !v.presenter })),
  });

  useEffect(() => {
    if (autostartPending.current && ready && validation.ok) {
      autostartPending.current = false;
      // A reload of this page must not start the same experiment a second time.
      const url = new URL(window.location.href);
      url.searchParams.delete('autostart');
      window.history.replaceState(null, '', url);
      worker.start({ config: validation.config });
    }
  }, [ready, validation, worker]);

  const { summarize } = worker;
  // A string, so that the effect runs when the network changes rather than on every edit of the form.
  const shapeKey = validation.ok ? JSON.stringify(networkShape(validation.config)) : null;
  useEffect(() => {
    if (shapeKey === null || worker.backend.status !== 'ready' || running) return;
    // Debounced: building the network to measure it takes a moment at full size.
    const timer = setTimeout(() => summarize(JSON.parse(shapeKey) as NetworkShape), 250);
    return () => clearTimeout(timer);
  }, [shapeKey, worker.backend.status, running, summarize]);

  const shownRun = history.runs.find((r) => r.id === selectedRunId) ?? history.runs[history.runs.length - 1];
  const comparedRuns = history.runs.filter((run) => compared.has(run.id));
  const chartedRuns = comparedRuns.length > 0 ? comparedRuns : shownRun ? [shownRun, ...pytorchCounterparts(shownRun, history.runs)] : [];
  const activeRun = history.runs.find((r) => r.id === worker.activeRunId);

  const copyLink = async () => {
    if (!validation.ok) {
      setActionStatus('Fix the highlighted settings to make a link.');
      return;
    }
    const query = queryFromView(view, new URLSearchParams(queryFromConfig(validation.config, true)));
    const url = `${window.location.origin}${window.location.pathname}?${query}`;
    try {
      await navigator.clipboard.writeText(url);
      setActionStatus('Link copied: it opens the app and starts this run.');
    } catch {
      setActionStatus(url);
    }
  };

  const exportExperiment = async () => {
    if (!validation.ok) {
      setActionStatus('Fix the highlighted settings to export them.');
      return;
    }
    const { config } = validation;
    setActionStatus('Packing the PyTorch experiment…');
    try {
      const file = await worker.exportExperiment({ name: describeConfig(config), config, dataset: chosenDataset && datasetRef(chosenDataset) });
      downloadBlob(file.fileName, new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: 'application/zip' }));
      // A fine-tuning start is not carried over: train.py starts from fresh weights unless given --weights.
      const note = fineTuneModel ? ` It trains from fresh weights; pass the saved model's .safetensors with --weights to start from it.` : '';
      setActionStatus(`Downloaded ${file.fileName}: unzip it and follow its README.${note}`);
    } catch (error) {
      setActionStatus((error as Error).message);
    }
  };

  return (
    <main>
      <header>
        <h1>GoogLeNet Playground</h1>
        <p className="subtle">
          A real GoogLeNet (Inception v1) trained on Fashion-MNIST in your browser, on your GPU, with SGD, momentum or
          Adam — the batch-size study from <em>Dive into Deep Learning</em>.
        </p>
      </header>
      <ClassroomBar view={view} onChange={setView} />
      {urlWarnings.length > 0 && (
        <div className="alert" role="alert" data-testid="url-warnings">
          {urlWarnings.map((w) => (
            <p key={w}>{w}</p>
          ))}
        </div>
      )}
      <BackendStatus
        backend={worker.backend}
        data={worker.data}
        canSwitch={!running}
        onSwitch={worker.switchBackend}
      />
      {view.controls !== 'hidden' && (
        <ScaleChooser
          draft={draft}
          config={validation.ok ? validation.config : null}
          softwareAdapter={worker.backend.status === 'ready' ? (worker.backend.adapter?.isSoftware ?? false) : null}
          editable={!running && view.controls === 'shown'}
          onApply={(settings) => editDraft((d) => ({ ...d, ...draftFromSettings(settings) }))}
        />
      )}
      <SettingsForm
        draft={draft}
        errors={validation.ok ? {} : validation.errors}
        running={running}
        controls={view.controls}
        disabledReason={disabledReason}
        onChange={(key: ConfigKey, value: string) => editDraft((d) => withField(d, key, value))}
        onPreset={(preset: StudyPreset) => editDraft((d) => applyPreset(d, preset))}
        onTrain={train}
        onStop={stop}
        onCopyLink={() => void copyLink()}
        onExportExperiment={() => void exportExperiment()}
        actionStatus={actionStatus}
      />
      <DatasetPanel
        datasets={datasets}
        selectedId={datasetId}
        onSelect={setDatasetId}
        importState={worker.datasetImport}
        onImport={worker.importDataset}
        locked={running}
      />
      <ModelsPanel
        models={savedModels}
        datasets={datasets.list}
        shownRun={shownRun}
        worker={worker}
        fineTune={fineTune}
        onFineTune={setFineTune}
        locked={running}
      />
      <ModelSummary state={worker.summary} />
      {activeRun && <RunProgress run={activeRun} />}
      {references.status === 'failed' && (
        <p className="subtle" data-testid="reference-status">
          {references.message}
        </p>
      )}
      <TrainingCharts runs={chartedRuns} references={referenceFile} />
      <EvaluationPanel evaluation={shownRun?.evaluation} />
      <PredictPanel
        runs={history.runs.filter((run) => run.epochs.length > 0)}
        models={savedModels.list}
        defaultRunId={shownRun?.id}
        predict={worker.predict}
      />
      <ResultsTable
        history={history}
        activeRunId={worker.activeRunId}
        memoryAfterRun={worker.memoryAfterRun}
        selectedRunId={shownRun?.id}
        onSelect={setSelectedRunId}
        compared={compared}
        onToggleCompare={toggleCompare}
        canStart={ready && !running}
        onResume={(run) => {
          setSelectedRunId(run.id);
          worker.resume(run);
        }}
        exportExperiment={worker.exportExperiment}
      />
      <BatchSizeLab
        baseConfig={validation.ok ? validation.config : null}
        runs={history.runs}
        canStart={ready && !running}
        disabledReason={running ? null : disabledReason}
        queue={queue}
        onRun={queue.enqueue}
        controls={view.controls}
        references={referenceFile}
      />
      <PresetComparison
        runs={history.runs}
        seed={validation.ok ? validation.config.seed : null}
        references={referenceFile}
        canStart={ready && !running}
        disabledReason={running ? null : disabledReason}
        queue={queue}
        onQueue={queue.enqueue}
      />
    </main>
  );
}
