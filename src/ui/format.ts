export const formatNumber = (value: number | undefined, digits = 3): string =>
  value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);

export const formatRate = (value: number | undefined): string =>
  value === undefined || !Number.isFinite(value) ? '—' : value >= 100 ? value.toFixed(0) : value.toPrecision(3);

export function formatSeconds(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '—';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function formatBytes(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(0)} kB`;
}

/** A rough duration, for estimates: rounded to a unit that does not pretend to more precision than it has. */
export function formatEstimate(seconds: number): string {
  const minutes = seconds / 60;
  const hours = minutes / 60;
  const days = hours / 24;
  if (seconds < 90) return `about ${Math.round(seconds)} s`;
  if (minutes < 90) return `about ${Math.round(minutes)} min`;
  if (hours < 48) return `about ${Number(hours.toFixed(hours < 10 ? 1 : 0))} h`;
  if (days < 365) return `about ${Math.round(days)} days`;
  return `about ${Number((days / 365).toFixed(1))} years`;
}
