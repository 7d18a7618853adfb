import { describe, expect, it } from 'vitest';
import {
  type ControlsMode,
  DEFAULT_VIEW,
  SHORTCUTS,
  type ShortcutKeyEvent,
  type Theme,
  type ViewSettings,
  queryFromView,
  shortcutFor,
  viewFromQuery,
} from './classroom';

const THEMES: Theme[] = ['light', 'dark', 'contrast'];
const CONTROLS: ControlsMode[] = ['shown', 'locked', 'hidden'];
const EVERY_VIEW: ViewSettings[] = [false, true].flatMap((presenter) =>
  THEMES.flatMap((theme) => CONTROLS.map((controls) => ({ presenter, theme, controls }))),
);

describe('view in the URL', () => {
  it('leaves the query empty for the default view', () => {
    expect(queryFromView(DEFAULT_VIEW).toString()).toBe('');
    expect(viewFromQuery('')).toEqual({ view: DEFAULT_VIEW, warnings: [] });
  });

  it.each(EVERY_VIEW.map((view) => [view]))('round-trips %o', (view) => {
    expect(viewFromQuery(`?${queryFromView(view).toString()}`)).toEqual({ view, warnings: [] });
  });

  it('writes only the values that differ from the default', () => {
    expect(queryFromView({ ...DEFAULT_VIEW, theme: 'dark' }).toString()).toBe('theme=dark');
    expect(queryFromView({ presenter: true, theme: 'contrast', controls: 'locked' }).toString()).toBe(
      'present=1&theme=contrast&controls=locked',
    );
  });

  it('updates a query in place: keeps the training settings and drops values set back to the default', () => {
    const params = new URLSearchParams('bs=8&present=1&theme=dark&controls=hidden');
    const returned = queryFromView({ ...DEFAULT_VIEW, controls: 'locked' }, params);
    expect(returned).toBe(params);
    expect(params.toString()).toBe('bs=8&controls=locked');
  });

  it('reads an explicit default value without a warning', () => {
    expect(viewFromQuery('?present=0&theme=light&controls=shown')).toEqual({ view: DEFAULT_VIEW, warnings: [] });
  });

  it('reports bad values and falls back to the defaults for them only', () => {
    const parsed = viewFromQuery('?present=yes&theme=neon&controls=locked');
    expect(parsed.view).toEqual({ ...DEFAULT_VIEW, controls: 'locked' });
    expect(parsed.warnings).toEqual([
      'Link parameter present=yes: Presenter view must be 0 or 1. Using 0.',
      'Link parameter theme=neon: Theme must be light, dark or contrast. Using light.',
    ]);
  });

  it('is case-sensitive about values, as the rest of the link is', () => {
    const parsed = viewFromQuery('?controls=Hidden');
    expect(parsed.view).toEqual(DEFAULT_VIEW);
    expect(parsed.warnings).toEqual([
      'Link parameter controls=Hidden: Controls must be shown, locked or hidden. Using shown.',
    ]);
  });
});

describe('keyboard shortcuts', () => {
  const press = (key: string, overrides: Partial<ShortcutKeyEvent> = {}): ShortcutKeyEvent => ({
    key,
    ctrlKey: false,
    metaKey: false,
    altKey: false,
    targetIsEditable: false,
    ...overrides,
  });

  it.each([
    ['t', 'train'],
    ['s', 'stop'],
    ['n', 'next-preset'],
    ['p', 'previous-preset'],
    ['f', 'toggle-presenter'],
    ['T', 'train'],
    ['N', 'next-preset'],
  ] as const)('maps %s to %s', (key, action) => {
    expect(shortcutFor(press(key))).toBe(action);
  });

  it('lists every action exactly once, each under its own key', () => {
    expect(new Set(SHORTCUTS.map((s) => s.action)).size).toBe(SHORTCUTS.length);
    expect(new Set(SHORTCUTS.map((s) => s.key)).size).toBe(SHORTCUTS.length);
    for (const shortcut of SHORTCUTS) expect(shortcutFor(press(shortcut.key))).toBe(shortcut.action);
  });

  it.each(['x', 'Enter', ' ', 'Escape', 'ArrowRight', '1'])('ignores %o', (key) => {
    expect(shortcutFor(press(key))).toBeNull();
  });

  it('never fires while the user types into a field', () => {
    for (const key of ['t', 's', 'n', 'p', 'f', 'T']) {
      expect(shortcutFor(press(key, { targetIsEditable: true }))).toBeNull();
    }
  });

  it.each(['ctrlKey', 'metaKey', 'altKey'] as const)('leaves combinations with %s to the browser', (modifier) => {
    expect(shortcutFor(press('s', { [modifier]: true }))).toBeNull();
    expect(shortcutFor(press('f', { [modifier]: true }))).toBeNull();
  });
});
