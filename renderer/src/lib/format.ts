// Small display formatters.
const nf = new Intl.NumberFormat();
export const num = (n: number): string => nf.format(n);

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

export function duration(sec: number | null): string {
  if (sec === null || !Number.isFinite(sec)) return '—';
  if (sec < 1) return 'a moment';
  if (sec < 60) return `${Math.round(sec)} s`;
  if (sec < 600) return `${Math.floor(sec / 60)} min ${Math.round(sec % 60)} s`;
  if (sec < 3600) return `${Math.round(sec / 60)} min`;
  return `${Math.floor(sec / 3600)} h ${Math.round((sec % 3600) / 60)} min`;
}

// One formatter for every call: toLocaleString builds a new one each time, and every grid tile
// formats its date (that was the largest cost of a frame when scrolling 100k photos).
const dateFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
export function date(ms: number | null): string {
  if (ms === null) return 'Unknown date';
  return dateFmt.format(ms);
}

export function rate(perSec: number): string {
  return perSec >= 10 ? `${perSec.toFixed(0)}/s` : `${perSec.toFixed(1)}/s`;
}

export function basename(p: string): string {
  const parts = p.split(/[\\/]/).filter(Boolean);
  return parts[parts.length - 1] ?? p;
}
