/** How the page is shown to a class: kept in the shared link next to the training settings. */
export type Theme = 'light' | 'dark' | 'contrast';

/** 'locked' keeps the settings on screen so the class can read them, without letting anyone edit them. */
export type ControlsMode = 'shown' | 'locked' | 'hidden';

export interface ViewSettings {
  presenter: boolean;
  theme: Theme;
  controls: ControlsMode;
}

export const DEFAULT_VIEW: ViewSettings = { presenter: false, theme: 'light', controls: 'shown' };

interface ViewParamSpec<T> {
  /** URL query parameter name. */
  query: string;
  label: string;
  values: readonly T[];
  encode(value: T): string;
}

const VIEW_PARAMS: { [K in keyof ViewSettings]: ViewParamSpec<ViewSettings[K]> } = {
  presenter: { query: 'present', label: 'Presenter view', values: [false, true], encode: (on) => (on ? '1' : '0') },
  theme: { query: 'theme', label: 'Theme', values: ['light', 'dark', 'contrast'], encode: String },
  controls: { query: 'controls', label: 'Controls', values: ['shown', 'locked', 'hidden'], encode: String },
};

const VIEW_KEYS = Object.keys(VIEW_PARAMS) as (keyof ViewSettings)[];

function alternatives(words: readonly string[]): string {
  return words.length > 1 ? `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}` : words.join('');
}

// Generic in the key so that the parsed value is known to fit the field it is written to.
function readViewParam<K extends keyof ViewSettings>(
  key: K,
  params: URLSearchParams,
  view: ViewSettings,
  warnings: string[],
): void {
  const spec: ViewParamSpec<ViewSettings[K]> = VIEW_PARAMS[key];
  const raw = params.get(spec.query);
  if (raw === null) return;
  const value = spec.values.find((candidate) => spec.encode(candidate) === raw);
  if (value === undefined) {
    warnings.push(
      `Link parameter ${spec.query}=${raw}: ${spec.label} must be ${alternatives(spec.values.map(spec.encode))}. ` +
        `Using ${spec.encode(DEFAULT_VIEW[key])}.`,
    );
  } else {
    view[key] = value;
  }
}

/** Reads the view from a query string; unusable values are reported and fall back to the defaults. */
export function viewFromQuery(search: string): { view: ViewSettings; warnings: string[] } {
  const params = new URLSearchParams(search);
  const view: ViewSettings = { ...DEFAULT_VIEW };
  const warnings: string[] = [];
  for (const key of VIEW_KEYS) readViewParam(key, params, view, warnings);
  return { view, warnings };
}

function writeViewParam<K extends keyof ViewSettings>(key: K, view: ViewSettings, params: URLSearchParams): void {
  const spec: ViewParamSpec<ViewSettings[K]> = VIEW_PARAMS[key];
  if (view[key] === DEFAULT_VIEW[key]) params.delete(spec.query);
  else params.set(spec.query, spec.encode(view[key]));
}

/**
 * Writes the view into `into` (a fresh query by default) and returns it. Default values are left out, and removed
 * from `into`, so links made before classroom mode stay as they were and the current URL can be updated in place.
 */
export function queryFromView(view: ViewSettings, into = new URLSearchParams()): URLSearchParams {
  for (const key of VIEW_KEYS) writeViewParam(key, view, into);
  return into;
}

export type ShortcutAction = 'train' | 'stop' | 'next-preset' | 'previous-preset' | 'toggle-presenter';

export interface Shortcut {
  /** Lower-case `KeyboardEvent.key`; the upper-case key works too. */
  key: string;
  action: ShortcutAction;
  description: string;
}

export const SHORTCUTS: readonly Shortcut[] = [
  { key: 't', action: 'train', description: 'train' },
  { key: 's', action: 'stop', description: 'stop' },
  { key: 'n', action: 'next-preset', description: 'next preset' },
  { key: 'p', action: 'previous-preset', description: 'previous preset' },
  { key: 'f', action: 'toggle-presenter', description: 'presenter view' },
];

export interface ShortcutKeyEvent {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  /** True when the key goes to a field the user types into. */
  targetIsEditable: boolean;
}

/**
 * The action a key press asks for, or null. Keys typed into a field are never shortcuts (typing "0.1" must not
 * start a run), and neither are browser or system combinations such as Ctrl+S or Cmd+F.
 */
export function shortcutFor(event: ShortcutKeyEvent): ShortcutAction | null {
  if (event.targetIsEditable || event.ctrlKey || event.metaKey || event.altKey) return null;
  const key = event.key.toLowerCase();
  return SHORTCUTS.find((shortcut) => shortcut.key === key)?.action ?? null;
}
