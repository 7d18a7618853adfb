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
