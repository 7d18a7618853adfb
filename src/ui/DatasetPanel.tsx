import type { ChangeEvent, DragEvent } from 'react';
import type { StoredList } from '../experiments/useStoredList';
import type { ImportSource } from '../worker/importDataset';
import type { DatasetImportState } from '../worker/workerMessages';
import { ScrollBox } from './ScrollBox';
import { Thumbnail } from './Thumbnail';
import type { DatasetInfo } from '../domain/dataset';

interface Props {
  datasets: StoredList<DatasetInfo>;
  selectedId: string | null;
  onSelect(id: string | null): void;
  importState: DatasetImportState;
  onImport(name: string, source: ImportSource): void;
  /** While a run trains, the dataset cannot change under it. */
  locked: boolean;
}

const baseName = (name: string) => name.replace(/\.zip$/i, '');

/** Every file under a dropped folder, with its path inside the drop (the File and Directory Entries API). */
async function filesOfEntry(entry: FileSystemEntry): Promise<{ path: string; file: File }[]> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    return [{ path: entry.fullPath.replace(/^\//, ''), file }];
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  const children: FileSystemEntry[] = [];
  // readEntries returns the entries in chunks until it returns none.
  for (;;) {
    const chunk = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (chunk.length === 0) break;
    children.push(...chunk);
  }
  return (await Promise.all(children.map(filesOfEntry))).flat();
}

function ClassTable({ info }: { info: DatasetInfo }) {
  return (
    <ScrollBox label="Images per class">
      <table data-testid="dataset-classes">
        <thead>
          <tr>
            <th>Class</th>
            <th>Example</th>
            <th>Training</th>
            <th>Validation</th>
          </tr>
        </thead>
        <tbody>
          {info.classes.map((name, c) => (
            <tr key={name} data-testid="dataset-class">
              <td>{name}</td>
              <td>
                <Thumbnail pixels={info.thumbnails[c]!} side={info.side} channels={info.channels} size={40} label={`an image of ${name}`} />
              </td>
              <td>{info.trainCounts[c]}</td>
              <td>{info.valCounts[c]}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollBox>
  );
}

/** Train on Fashion-MNIST or on an image folder of one's own (one subfolder per class, optionally train/ and val/). */
export function DatasetPanel({ datasets, selectedId, onSelect, importState, onImport, locked }: Props) {
  const selected = datasets.list.find((d) => d.id === selectedId) ?? null;
  const importFolder = (event: ChangeEvent<HTMLInputElement>) => {
    const files = [...(event.target.files ?? [])];
    event.target.value = '';
    if (files.length === 0) return;
    const name = files[0]!.webkitRelativePath.split('/')[0] || 'dataset';
    onImport(name, { kind: 'files', files: files.map((file) => ({ path: file.webkitRelativePath || file.name, file })) });
  };
  const importZip = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (file) onImport(baseName(file.name), { kind: 'zip', file });
  };
  const drop = async (event: DragEvent<HTMLElement>) => {
    event.preventDefault();
    const entries = [...event.dataTransfer.items].map((item) => item.webkitGetAsEntry()).filter((e) => e !== null);
    const single = entries.length === 1 ? entries[0]! : null;
    if (single?.isFile && single.name.toLowerCase().endsWith('.zip')) {
      const [zip] = await filesOfEntry(single);
      return onImport(baseName(zip!.file.name), { kind: 'zip', file: zip!.file });
    }
    const files = (await Promise.all(entries.map(filesOfEntry))).flat();
    if (files.length > 0) onImport(single?.name ?? 'dataset', { kind: 'files', files });
  };
  const busy = importState.status === 'decoding';

  return (
    <section className="panel datasets" aria-label="Dataset" onDragOver={(event) => event.preventDefault()} onDrop={(event) => void drop(event)}>
      <h2>Dataset</h2>
      <div className="toolbar">
        <label>
          Train on{' '}
          <select aria-label="Train on" value={selectedId ?? ''} disabled={locked} onChange={(event) => onSelect(event.target.value || null)}>
            <option value="">Fashion-MNIST (60,000 / 10,000, 10 classes)</option>
            {datasets.list.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name} ({d.classes.length} classes)
              </option>
            ))}
          </select>
        </label>
        <label className="file-button">
          Import a folder…
          <input type="file" multiple disabled={busy} onChange={importFolder} {...{ webkitdirectory: '' }} />
        </label>
        <label className="file-button">
          Import a .zip…
          <input type="file" accept=".zip,application/zip" disabled={busy} onChange={importZip} />
        </label>
        <span className="subtle">or drop either here · one subfolder per class, optionally under train/ and val/</span>
      </div>
      {importState.status === 'decoding' && (
        <p className="progress-line" role="status">
          Decoding images… {importState.decoded} of {importState.total || '?'}
        </p>
      )}
      {importState.status === 'failed' && (
        <p className="error" role="alert" data-testid="dataset-error">
          {importState.message}
        </p>
      )}
      {datasets.problem && (
        <p className="error" role="alert">
          {datasets.problem}
        </p>
      )}
      {selected && (
        <div data-testid="dataset-info">
          <p>
            <strong>{selected.name}</strong>: {selected.trainCounts.reduce((a, b) => a + b, 0)} training and{' '}
            {selected.valCounts.reduce((a, b) => a + b, 0)} validation images, {selected.side}×{selected.side}{' '}
            {selected.channels === 3 ? 'RGB' : 'grey'}.{' '}
            {selected.splitMade
              ? 'There was no val/ folder: 20 % of each class was held out by a seeded, stratified split.'
              : 'Validation images come from its val/ folder.'}{' '}
            <button
              type="button"
              className="link"
              disabled={locked}
              onClick={() => {
                if (!window.confirm(`Remove the dataset "${selected.name}"? Runs on it keep their figures.`)) return;
                onSelect(null);
                datasets.remove(selected.id);
              }}
            >
              remove
            </button>
          </p>
          <ClassTable info={selected} />
          {selected.skipped.length > 0 && (
            <details data-testid="dataset-skipped">
              <summary>{selected.skipped.length} files skipped</summary>
              <ul>
                {selected.skipped.map((s) => (
                  <li key={s.path}>
                    {s.path}: {s.reason}
                  </li>
                ))}
              </ul>
            </details>
          )}
        </div>
      )}
    </section>
  );
}
