import { useEffect, useLayoutEffect, useRef } from 'react';
import { type ShortcutAction, shortcutFor } from './classroom';

// Inputs that take no typed text: a letter pressed on a just-clicked checkbox or button is still a shortcut.
const NON_TEXT_INPUTS = new Set(['button', 'checkbox', 'color', 'file', 'image', 'radio', 'range', 'reset', 'submit']);

function isEditable(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLInputElement) return !NON_TEXT_INPUTS.has(target.type);
  // A focused select jumps to the option whose label starts with the typed letter.
  return target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
}

/** Calls the handler of the shortcut pressed anywhere on the page; actions without a handler keep the key's default. */
export function useClassroomShortcuts(handlers: Partial<Record<ShortcutAction, () => void>>): void {
  const latest = useRef(handlers);
  // Before paint: a key pressed as soon as the page shows it is ready must reach the handlers of that render.
  useLayoutEffect(() => {
    latest.current = handlers;
  });
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      // Holding a key down must not start runs or skip through the presets one auto-repeat at a time.
      if (event.repeat) return;
      const action = shortcutFor({
        key: event.key,
        ctrlKey: event.ctrlKey,
        metaKey: event.metaKey,
        altKey: event.altKey,
        targetIsEditable: isEditable(event.target),
      });
      const handler = action === null ? undefined : latest.current[action];
      if (handler === undefined) return;
      event.preventDefault();
      handler();
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, []);
}
