import type { ReactNode } from 'react';
import { type View, ViewTabs } from './ViewTabs';

interface Props {
  presenter: boolean;
  /** The title, how the page is shown, and what it says about the backend and the data. */
  header: ReactNode;
  /** What to train, Train itself and the run's progress: beside the main area on a wide screen, in view while it scrolls. */
  rail: ReactNode;
  /** The live curves: first in the main area, above every view. */
  curves: ReactNode;
  views: readonly View[];
}

/**
 * The page's regions. On a wide screen the rail sits left of the header and the main area; on a narrow one all three
 * stack. Presenter view lays the same panels out in one column for a projector (styles.css), so switching it keeps
 * every panel's state.
 */
export function Workbench({ presenter, header, rail, curves, views }: Props) {
  return (
    <div className="workbench">
      <header>{header}</header>
      <aside className="rail" aria-label="Settings and Train">
        {rail}
      </aside>
      <main className="main-area">
        {curves}
        <ViewTabs views={views} presenter={presenter} />
      </main>
    </div>
  );
}
