import type { Status } from './types';

/** Every status with a word and a sign, so it never rests on colour alone. */
export const STATUS: Record<Status, { icon: string; label: string }> = {
  pending: { icon: '○', label: 'pending' },
  ready: { icon: '◔', label: 'ready' },
  running: { icon: '▶', label: 'running' },
  succeeded: { icon: '✓', label: 'succeeded' },
  failed: { icon: '✕', label: 'failed' },
  skipped: { icon: '↷', label: 'skipped' },
  cancelled: { icon: '⊘', label: 'cancelled' },
};

/** A run's or task's status as the page shows it; unknown ones (terminated, timed out) keep their name. */
export function statusOf(s: string): { icon: string; label: string } {
  return (STATUS as Record<string, { icon: string; label: string }>)[s] ?? { icon: '■', label: s };
}

/** "850ms", "12.4s", "3m 05s", "2h 01m". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

export function usd(x: number | null | undefined): string {
  return x === null || x === undefined ? '–' : `$${x.toFixed(2)}`;
}

export function when(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString() : '–';
}
