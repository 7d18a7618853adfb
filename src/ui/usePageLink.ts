import { type Dispatch, type SetStateAction, useCallback, useEffect, useRef, useState } from 'react';
import { type TrainConfig, configFromQuery, queryFromConfig } from '../config/trainConfig';
import { FIRST_VISIT_CONFIG } from '../experiments/presets';
import { type ViewSettings, queryFromView, viewFromQuery } from './classroom';

/** What the page was opened with. */
export interface OpenedLink {
  config: TrainConfig;
  autostart: boolean;
  view: ViewSettings;
  /** One message per link parameter that was unusable and replaced by its default. */
  warnings: string[];
}

/** Reads a link's query. A link names its settings against d2l's faithful ones, so links keep their meaning; a bare visit starts small. */
export function readLink(search: string): OpenedLink {
  const settings = configFromQuery(search);
  const { view, warnings } = viewFromQuery(search);
  return {
    config: settings.hasSettings ? settings.config : FIRST_VISIT_CONFIG,
    autostart: settings.autostart,
    view,
    warnings: [...settings.warnings, ...warnings],
  };
}

/** The query of a link that opens these settings in this view and starts the run at once. */
export function shareQuery(config: TrainConfig, view: ViewSettings): string {
  return queryFromView(view, new URLSearchParams(queryFromConfig(config, true))).toString();
}

function rewriteAddress(change: (params: URLSearchParams) => void): void {
  const url = new URL(window.location.href);
  change(url.searchParams);
  window.history.replaceState(null, '', url);
}

export interface PageLink {
  opened: OpenedLink;
  view: ViewSettings;
  setView: Dispatch<SetStateAction<ViewSettings>>;
  /** True once, when the link asked to start at once; from then on the address bar no longer asks. */
  takeAutostart(): boolean;
  /** A full link to these settings in the current view. */
  shareUrl(config: TrainConfig): string;
}

/** Reads the link the page was opened with, once, and keeps the view (theme, presenter, controls) in the address bar and on the page. */
export function usePageLink(): PageLink {
  const [opened] = useState(() => readLink(window.location.search));
  const [view, setView] = useState(opened.view);
  const autostartPending = useRef(opened.autostart);

  useEffect(() => {
    document.documentElement.dataset.theme = view.theme;
    document.documentElement.classList.toggle('presenter', view.presenter);
    // The address bar always holds the current view, so a copied or bookmarked URL shows the class the same page.
    rewriteAddress((params) => queryFromView(view, params));
  }, [view]);

  const takeAutostart = useCallback(() => {
    if (!autostartPending.current) return false;
    autostartPending.current = false;
    // A reload of this page must not start the same experiment a second time.
    rewriteAddress((params) => params.delete('autostart'));
    return true;
  }, []);

  const shareUrl = useCallback(
    (config: TrainConfig) => `${window.location.origin}${window.location.pathname}?${shareQuery(config, view)}`,
    [view],
  );

  return { opened, view, setView, takeAutostart, shareUrl };
}
