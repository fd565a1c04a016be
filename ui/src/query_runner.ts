/** Runs a panel's query through the HTTP API: the instant query for the Table tab, the range query for the
 * Graph tab, with Prometheus's automatic step; keeps the last outcome, error, warnings and timing. */

import { useRef, useState } from 'preact/hooks';
import { APIError, callAPI, type QueryData } from './api';
import { parseDuration, parseUTC } from './format';
import type { GraphSeries } from './graph_data';
import type { PanelOptions } from './url_state';

export type Outcome =
  | { kind: 'none' }
  | { kind: 'table'; data: QueryData }
  | { kind: 'graph'; series: GraphSeries[]; startS: number; endS: number; stepS: number };

export interface Stats {
  millis: number;
  count: number;
}

interface Answered {
  outcome: Outcome;
  warnings: string[];
}

/** Prometheus's automatic resolution: about 250 points over the range, never under a second. */
export function autoStepSeconds(rangeMs: number): number {
  return Math.max(Math.floor(rangeMs / 1000 / 250), 1);
}

function resultCount(outcome: Outcome): number {
  if (outcome.kind === 'graph') return outcome.series.length;
  if (outcome.kind === 'none') return 0;
  const { data } = outcome;
  return data.resultType === 'vector' || data.resultType === 'matrix' ? data.result.length : 1;
}

async function runQuery(options: PanelOptions, signal: AbortSignal): Promise<Answered> {
  if (options.tab === 'table') {
    const time = options.endInput ? parseUTC(options.endInput) : null;
    const params: Record<string, string> = { query: options.expr };
    if (time !== null) params.time = String(time / 1000);
    const { data, warnings } = await callAPI<QueryData>('/query', params, signal);
    return { outcome: { kind: 'table', data }, warnings };
  }
  const rangeMs = parseDuration(options.rangeInput) ?? 3600_000;
  const endMs = (options.endInput && parseUTC(options.endInput)) || Date.now();
  const stepS = Number(options.stepInput) > 0 ? Number(options.stepInput) : autoStepSeconds(rangeMs);
  const endS = Math.floor(endMs / 1000);
  const startS = endS - Math.floor(rangeMs / 1000);
  const params = { query: options.expr, start: String(startS), end: String(endS), step: String(stepS) };
  const { data, warnings } = await callAPI<QueryData>('/query_range', params, signal);
  if (data.resultType !== 'matrix') {
    throw new APIError(`the graph needs a range vector result, got ${data.resultType}`, 'bad_data');
  }
  return { outcome: { kind: 'graph', series: data.result, startS, endS, stepS }, warnings };
}

export interface QueryRunner {
  outcome: Outcome;
  error: string | null;
  warnings: string[];
  loading: boolean;
  stats: Stats | null;
  execute(options: PanelOptions): Promise<void>;
}

/** The query state of one panel; a new run cancels the one in flight. */
export function useQueryRunner(): QueryRunner {
  const inflight = useRef<AbortController | null>(null);
  const [outcome, setOutcome] = useState<Outcome>({ kind: 'none' });
  const [error, setError] = useState<string | null>(null);
  const [warnings, setWarnings] = useState<string[]>([]);
  const [loading, setLoading] = useState(false);
  const [stats, setStats] = useState<Stats | null>(null);

  const execute = async (options: PanelOptions) => {
    if (!options.expr.trim()) return;
    inflight.current?.abort();
    const controller = new AbortController();
    inflight.current = controller;
    performance.mark('ember-query-start');
    const started = performance.now();
    setLoading(true);
    try {
      const answered = await runQuery(options, controller.signal);
      performance.mark('ember-query-done');
      setOutcome(answered.outcome);
      setWarnings(answered.warnings);
      setError(null);
      setStats({ millis: performance.now() - started, count: resultCount(answered.outcome) });
    } catch (err) {
      if ((err as Error).name === 'AbortError') return;
      // Prometheus's UI wording; the expression and the other settings stay as they are.
      setError(`Error executing query: ${(err as Error).message}`);
      setOutcome({ kind: 'none' });
      setWarnings([]);
      setStats(null);
    } finally {
      if (inflight.current === controller) setLoading(false);
    }
  };
  return { outcome, error, warnings, loading, stats, execute };
}
