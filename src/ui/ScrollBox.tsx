import type { ReactNode } from 'react';

/**
 * A table wider than its panel scrolls inside this box, never the page. The box takes keyboard focus, so that the
 * keyboard can scroll it too: the table in it has nothing focusable of its own.
 */
export function ScrollBox({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-scroll" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
