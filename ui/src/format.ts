/** Formatting shared by the pages: label sets, durations, timestamps, as Prometheus's UI writes them. */

import type { Metric } from './api';

const UNITS: [string, number][] = [
  ['y', 365 * 24 * 3600_000],
  ['w', 7 * 24 * 3600_000],
  ['d', 24 * 3600_000],
  ['h', 3600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/** Parses a Prometheus duration such as `1h30m` into milliseconds; null when malformed. */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === '0') return trimmed === '0' ? 0 : null;
  const re = /(\d+)(ms|y|w|d|h|m|s)/y;
  let total = 0;
  let pos = 0;
  while (pos < trimmed.length) {
    re.lastIndex = pos;
    const match = re.exec(trimmed);
    if (!match) return null;
    total += Number(match[1]) * UNITS.find(([u]) => u === match[2])![1];
    pos = re.lastIndex;
  }
  return total;
}

/** Writes milliseconds as a Prometheus duration (`90000` -> `1m30s`); like Prometheus's UI, years and
 * weeks only when they divide it exactly, since `90d` reads better than `12w6d`. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const [unit, size] of UNITS) {
    if ((unit === 'y' || unit === 'w') && rest % size !== 0) continue;
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

/** `name{a="b", c="d"}`, the way Prometheus prints a series. */
export function formatSeries(metric: Metric): string {
  const name = metric.__name__ ?? '';
  const pairs = Object.keys(metric)
    .filter((k) => k !== '__name__')
    .map((k) => `${k}=${JSON.stringify(metric[k])}`);
  return pairs.length || !name ? `${name}{${pairs.join(', ')}}` : name;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** UTC `YYYY-MM-DD HH:mm:ss`, the format of Prometheus's `g0.end_input`. */
export function formatUTC(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** Reads `YYYY-MM-DD HH:mm[:ss]` (UTC) or an RFC 3339 time; null when unreadable. */
export function parseUTC(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
  if (m) return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] ?? 0));
  const parsed = Date.parse(text);
  return Number.isNaN(parsed) ? null : parsed;
}

/** "3.2s ago" style age of an RFC 3339 time; "never" for Go's zero time. */
export function formatAge(rfc3339: string, nowMs: number = Date.now()): string {
  const t = Date.parse(rfc3339);
  if (Number.isNaN(t) || t <= 0) return 'never';
  const seconds = Math.max(0, (nowMs - t) / 1000);
  if (seconds < 60) return `${seconds.toFixed(3)}s ago`;
  return `${formatDuration(Math.round(seconds) * 1000)} ago`;
}

/** Seconds as Prometheus's UI shows a scrape or evaluation duration. */
export function formatSeconds(seconds: number): string {
  if (seconds < 1e-3) return `${(seconds * 1e6).toFixed(0)}µs`;
  if (seconds < 1) return `${(seconds * 1e3).toFixed(3)}ms`;
  return `${seconds.toFixed(3)}s`;
}
