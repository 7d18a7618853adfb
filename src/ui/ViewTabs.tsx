import { type KeyboardEvent, type ReactNode, useId, useRef, useState } from 'react';

export interface View {
  id: string;
  label: string;
  /** A figure shown after the label: how many runs the table holds, say. */
  count?: number;
  content: ReactNode;
}

interface Props {
  views: readonly View[];
  /** Presenter view shows every view, one after another, as the page has always shown a projector. */
  presenter: boolean;
}

/** The keys that move between tabs (WAI-ARIA's tabs pattern), as the index each leads to. */
const KEY_STEPS: Readonly<Record<string, (index: number, count: number) => number>> = {
  ArrowRight: (index, count) => (index + 1) % count,
  ArrowLeft: (index, count) => (index - 1 + count) % count,
  Home: () => 0,
  End: (_, count) => count - 1,
};

/**
 * Views beside the curves, one shown at a time. Every view stays mounted while hidden, so a form half filled in or
 * a drawing on the pad is still there when its tab is chosen again.
 */
export function ViewTabs({ views, presenter }: Props) {
  const [selected, setSelected] = useState(views[0]?.id);
  const baseId = useId();
  const tabs = useRef(new Map<string, HTMLButtonElement>());
  const tabList = useRef<HTMLDivElement>(null);
  const tabId = (view: View) => `${baseId}-tab-${view.id}`;
  const panelId = (view: View) => `${baseId}-panel-${view.id}`;

  const choose = (view: View) => {
    setSelected(view.id);
    // The tab strip stays at the top of the window while the page scrolls: a view chosen from there starts at its top.
    const strip = tabList.current?.getBoundingClientRect();
    if (strip !== undefined && strip.top <= 0) document.getElementById(panelId(view))?.scrollIntoView({ block: 'start' });
  };

  const onKeyDown = (event: KeyboardEvent, index: number) => {
    const step = KEY_STEPS[event.key];
    if (step === undefined) return;
    event.preventDefault();
    const next = views[step(index, views.length)]!;
    choose(next);
    tabs.current.get(next.id)?.focus();
  };

  return (
    <>
      {!presenter && (
        <div className="view-tabs" role="tablist" aria-label="Views" ref={tabList}>
          {views.map((view, index) => (
            <button
              key={view.id}
              ref={(tab) => {
                if (tab === null) tabs.current.delete(view.id);
                else tabs.current.set(view.id, tab);
              }}
              type="button"
              role="tab"
              id={tabId(view)}
              aria-selected={view.id === selected}
              aria-controls={panelId(view)}
              tabIndex={view.id === selected ? 0 : -1}
              onClick={() => choose(view)}
              onKeyDown={(event) => onKeyDown(event, index)}
            >
              {view.label}
              {view.count !== undefined && (
                <>
                  {' '}
                  <span className="count">{view.count}</span>
                </>
              )}
            </button>
          ))}
        </div>
      )}
      {views.map((view) => (
        <div
          key={view.id}
          id={panelId(view)}
          className="view-panel"
          role={presenter ? undefined : 'tabpanel'}
          aria-labelledby={presenter ? undefined : tabId(view)}
          tabIndex={presenter ? undefined : 0}
          hidden={!presenter && view.id !== selected}
        >
          {view.content}
        </div>
      ))}
    </>
  );
}
