let counter = 0;

/** An id unique across reloads and within a session: time, a per-session counter and a random part. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${(++counter).toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
}
