import { useEffect } from 'react';
import { type NetworkShape, networkShape } from './config/trainConfig';
import { useReferences } from './experiments/useReferences';
import { useRunHistory } from './experiments/useRunHistory';
import { useRunLocks } from './experiments/useRunLocks';
import { useRunQueue } from './experiments/useRunQueue';
import { useStoredList } from './experiments/useStoredList';
import { BackendStatus } from './ui/BackendStatus';
import { BatchSizeLab } from './ui/BatchSizeLab';
import { ClassroomBar } from './ui/ClassroomBar';
import { DatasetPanel } from './ui/DatasetPanel';
import { RunEstimate, settingsMacs } from './ui/Estimates';
import { EvaluationPanel } from './ui/EvaluationPanel';
import { Fold } from './ui/Fold';
import { ModelStart } from './ui/ModelStart';
import { ModelSummary } from './ui/ModelSummary';
import { ModelsPanel } from './ui/ModelsPanel';
import { PredictPanel } from './ui/PredictPanel';
import { PresetComparison } from './ui/PresetComparison';
import { ResultsTable } from './ui/ResultsTable';
import { RunProgress } from './ui/RunProgress';
import { ScaleChooser } from './ui/ScaleChooser';
import { SettingsForm } from './ui/SettingsForm';
import { TrainingCharts } from './ui/TrainingCharts';
import { useChartedRuns } from './ui/useChartedRuns';
import { useClassroomShortcuts } from './ui/useClassroomShortcuts';
import { useConfigForm } from './ui/useConfigForm';
import { usePageLink } from './ui/usePageLink';
import { plannedRun, useRunSource } from './ui/useRunSource';
import { useSettingsActions } from './ui/useSettingsActions';
import { Workbench } from './ui/Workbench';
import { useTrainingWorker } from './worker/useTrainingWorker';

export function App() {
  const link = usePageLink();
  const { view, setView, takeAutostart } = link;
  const form = useConfigForm(link.opened.config);
  const history = useRunHistory();
  const references = useReferences();
  const referenceFile = references.status === 'ready' ? references.file : null;
  const worker = useTrainingWorker(history.dispatch);
  const { backend, data, activeRunId, start, resume, summarize, datasetImport } = worker;
  const datasets = useStoredList('datasets', 'Imported datasets');
  const savedModels = useStoredList('models', 'Saved models');
  const charts = useChartedRuns(history.runs);
  const runLocks = useRunLocks(history.runs, activeRunId);

  const source = useRunSource(datasets.list, savedModels.list, datasetImport);
  const actions = useSettingsActions(form.config, source, link.shareUrl, worker.exportExperiment);

  const ready = backend.status === 'ready' && data.status === 'ready';
  const queue = useRunQueue(history.runs, { idle: ready && activeRunId === null, start, resume });
  const running = activeRunId !== null || queue.current !== null || queue.pending.length > 0;
  const canStart = ready && !running;
  const disabledReason = !ready
    ? backend.status === 'failed' || data.status === 'failed'
      ? 'Training is unavailable until the backend and the data load (the backend panel says why).'
      : 'Waiting for the backend and the data to load…'
    : form.config === null
      ? 'Fix the highlighted settings first.'
      : null;
  // While something trains, the lab and the study say nothing: their buttons are simply off until it ends.
  const queueBlocker = running ? null : disabledReason;

  const train = () => {
    if (form.config === null || !canStart) return;
    charts.select(undefined);
    start(plannedRun(form.config, source.dataset, source.fineTuneModel, source.start));
  };
  const stop = () => {
    queue.cancel();
    worker.stop();
  };
  useClassroomShortcuts({
    train,
    stop,
    'next-preset': () => {
      if (!running) form.stepPreset(1);
    },
    'previous-preset': () => {
      if (!running) form.stepPreset(-1);
    },
    'toggle-presenter': () => setView((v) => ({ ...v, presenter: !v.presenter })),
  });

  useEffect(() => {
    if (ready && form.config !== null && takeAutostart()) start({ config: form.config });
  }, [ready, form.config, takeAutostart, start]);

  // A string, so that the effect runs when the network changes rather than on every edit of the form.
  const shapeKey = form.config ? JSON.stringify(networkShape(form.config)) : null;
  useEffect(() => {
    if (shapeKey === null || backend.status !== 'ready' || running) return;
    // Debounced: building the network to measure it takes a moment at full size.
    const timer = setTimeout(() => summarize(JSON.parse(shapeKey) as NetworkShape), 250);
    return () => clearTimeout(timer);
  }, [shapeKey, backend.status, running, summarize]);

  const macs = settingsMacs(worker.summary, form.config);
  const { shownRun } = charts;
  const activeRun = history.runs.find((r) => r.id === activeRunId);
  const progress = activeRun && <RunProgress run={activeRun} />;
  const warnings = link.opened.warnings;

  return (
    <Workbench
      presenter={view.presenter}
      header={
        <>
          <h1>GoogLeNet Playground</h1>
          <p className="subtle tagline">
            A real GoogLeNet (Inception v1) trained on Fashion-MNIST in your browser, on your GPU, with SGD, momentum or
            Adam — the batch-size study from <em>Dive into Deep Learning</em>.
          </p>
          <ClassroomBar view={view} onChange={setView} />
          {warnings.length > 0 && (
            <div className="alert" role="alert" data-testid="url-warnings">
              {warnings.map((w) => (
                <p key={w}>{w}</p>
              ))}
            </div>
          )}
          <BackendStatus
            backend={backend}
            calibration={worker.calibration}
            machineRates={worker.machineRates}
            data={data}
            canSwitch={!running}
            onSwitch={worker.switchBackend}
          />
          {references.status === 'failed' && (
            <p className="subtle" data-testid="reference-status">
              {references.message}
            </p>
          )}
        </>
      }
      rail={
        <>
          {view.controls !== 'hidden' && (
            <ScaleChooser
              draft={form.draft}
              config={form.config}
              softwareAdapter={backend.status === 'ready' ? (backend.adapter?.isSoftware ?? false) : null}
              backend={backend.backend}
              calibration={worker.calibration}
              editable={!running && view.controls === 'shown'}
              onApply={form.applySettings}
            />
          )}
          <SettingsForm
            draft={form.draft}
            errors={form.errors}
            running={running}
            controls={view.controls}
            disabledReason={disabledReason}
            onChange={form.setField}
            onPreset={form.applyPreset}
            onTrain={train}
            onStop={stop}
            onCopyLink={actions.copyLink}
            onExportExperiment={actions.exportExperiment}
            actionStatus={actions.status}
            progress={view.presenter ? null : progress}
            estimate={<RunEstimate calibration={worker.calibration} backend={backend.backend} config={form.config} macsPerExample={macs} />}
          >
            <Fold title="Dataset" summary={source.dataset?.name ?? 'Fashion-MNIST'} forceOpen={datasetImport.status === 'failed' || datasets.problem !== null}>
              <DatasetPanel
                datasets={datasets}
                selectedId={source.datasetId}
                onSelect={source.selectDataset}
                importState={datasetImport}
                onImport={worker.importDataset}
                locked={running}
              />
            </Fold>
            <Fold title="Start from" summary={source.fineTuneModel ? `${source.fineTuneModel.name}, fine-tuned` : 'fresh weights'}>
              <ModelStart models={savedModels.list} choice={source.start} onChoose={source.chooseStart} locked={running} />
            </Fold>
            <ModelSummary state={worker.summary} />
          </SettingsForm>
        </>
      }
      curves={
        <>
          {view.presenter && progress}
          <TrainingCharts runs={charts.charted} references={referenceFile} />
        </>
      }
      views={[
        {
          id: 'learned',
          label: 'What the model learned',
          content: (
            <>
              <EvaluationPanel evaluation={shownRun?.evaluation} />
              {!shownRun?.evaluation && (
                <p className="panel empty view-placeholder">
                  After each epoch, the test pass shows here which classes the network confuses, and the images it gets wrong.
                </p>
              )}
            </>
          ),
        },
        {
          id: 'runs',
          label: 'Runs',
          count: history.runs.length,
          content: (
            <ResultsTable
              history={history}
              activeRunId={activeRunId}
              memoryAfterRun={worker.memoryAfterRun}
              selectedRunId={shownRun?.id}
              onSelect={charts.select}
              compared={charts.compared}
              onToggleCompare={charts.toggleCompare}
              canStart={canStart}
              lockOf={runLocks.lockOf}
              onResume={(run) => {
                charts.select(run.id);
                void resume(run).then((begun) => {
                  if (begun === 'held-elsewhere') runLocks.recheck();
                });
              }}
              exportExperiment={worker.exportExperiment}
            />
          ),
        },
        {
          id: 'lab',
          label: 'Batch-size lab',
          content: (
            <BatchSizeLab
              baseConfig={form.config}
              estimate={worker.calibration.status === 'ready' && macs !== null ? { calibration: worker.calibration.calibration, macsPerExample: macs } : null}
              runs={history.runs}
              canStart={canStart}
              disabledReason={queueBlocker}
              queue={queue}
              onRun={queue.enqueue}
              controls={view.controls}
              references={referenceFile}
            />
          ),
        },
        {
          id: 'reproduce',
          label: 'Reproduce d2l',
          content: (
            <PresetComparison
              runs={history.runs}
              seed={form.config?.seed ?? null}
              references={referenceFile}
              canStart={canStart}
              disabledReason={queueBlocker}
              queue={queue}
              onQueue={queue.enqueue}
            />
          ),
        },
        {
          id: 'predict',
          label: 'Predict & models',
          content: (
            <>
              <PredictPanel
                runs={history.runs.filter((run) => run.epochs.length > 0)}
                models={savedModels.list}
                defaultRunId={shownRun?.id}
                predict={worker.predict}
              />
              <ModelsPanel
                models={savedModels}
                datasets={datasets.list}
                shownRun={shownRun}
                saveModel={worker.saveModel}
                exportModel={worker.exportModel}
                importModel={worker.importModel}
                evaluateModel={worker.evaluateModel}
                locked={running}
              />
            </>
          ),
        },
      ]}
    />
  );
}
