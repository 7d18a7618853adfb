import { type ReactNode, useState } from 'react';

interface Props {
  title: string;
  /** What is chosen inside, shown while folded, so that nobody trains with a setting they cannot see. */
  summary: ReactNode;
  /** Open however the user left it: it holds something that must be seen, such as an error. */
  forceOpen?: boolean;
  hidden?: boolean;
  className?: string;
  children: ReactNode;
}

/** A part of the settings folded to one line until it is opened. */
export function Fold({ title, summary, forceOpen = false, hidden = false, className, children }: Props) {
  const [open, setOpen] = useState(false);
  const shown = open || forceOpen;
  return (
    <details className={['fold', className].filter(Boolean).join(' ')} hidden={hidden} open={shown}>
      <summary
        onClick={(event) => {
          // React owns the open state, so a re-render never closes what the user opened.
          event.preventDefault();
          setOpen(!shown);
        }}
      >
        <span className="fold-title">{title}</span> <span className="subtle">{summary}</span>
      </summary>
      {children}
    </details>
  );
}
