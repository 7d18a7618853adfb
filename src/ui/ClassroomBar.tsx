import { useId } from 'react';
import { type ControlsMode, SHORTCUTS, type Theme, type ViewSettings } from './classroom';

const THEME_LABELS: Record<Theme, string> = { light: 'Light', dark: 'Dark', contrast: 'High contrast' };

const CONTROLS_LABELS: Record<ControlsMode, string> = {
  shown: 'Shown',
  locked: 'Locked (visible, not editable)',
  hidden: 'Hidden',
};

interface Props {
  view: ViewSettings;
  onChange(view: ViewSettings): void;
}

interface ChoiceProps<T extends string> {
  label: string;
  value: T;
  labels: Record<T, string>;
  onChange(value: T): void;
}

function Choice<T extends string>({ label, value, labels, onChange }: ChoiceProps<T>) {
  const id = useId();
  // The label points at the select by id: one wrapped around it would have the chosen option in its accessible name.
  return (
    <span className="classroom-control">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(event) => onChange(event.target.value as T)}>
        {(Object.keys(labels) as T[]).map((option) => (
          <option key={option} value={option}>
            {labels[option]}
          </option>
        ))}
      </select>
    </span>
  );
}

export function ClassroomBar({ view, onChange }: Props) {
  return (
    <section className="classroom-bar" aria-label="Classroom mode">
      <label className="classroom-control">
        <input
          type="checkbox"
          checked={view.presenter}
          onChange={(event) => onChange({ ...view, presenter: event.target.checked })}
        />{' '}
        Presenter view
      </label>
      <Choice
        label="Theme"
        value={view.theme}
        labels={THEME_LABELS}
        onChange={(theme) => onChange({ ...view, theme })}
      />
      <Choice
        label="Controls"
        value={view.controls}
        labels={CONTROLS_LABELS}
        onChange={(controls) => onChange({ ...view, controls })}
      />
      <ul className="shortcuts" aria-label="Keyboard shortcuts">
        {SHORTCUTS.map((shortcut) => (
          <li key={shortcut.key}>
            <kbd>{shortcut.key.toUpperCase()}</kbd> {shortcut.description}
          </li>
        ))}
      </ul>
    </section>
  );
}
