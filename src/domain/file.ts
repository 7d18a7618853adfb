/** A file the worker makes for the page to download, as one blob (browsers may block several downloads at once). */
export interface DownloadFile {
  fileName: string;
  bytes: Uint8Array;
}
