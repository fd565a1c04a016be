/** Calls to Ember's Prometheus HTTP API; failures carry Prometheus's own error string. */

export class APIError extends Error {
  constructor(message: string, readonly errorType: string) {
    super(message);
  }
}

interface Envelope<T> {
  status: 'success' | 'error';
  data?: T;
  error?: string;
  errorType?: string;
  warnings?: string[];
}

export interface Answer<T> {
  data: T;
  warnings: string[];
}

/** GETs or POSTs an /api/v1 path and unwraps the {status, data} envelope. */
export async function callAPI<T>(path: string, params?: Record<string, string>, signal?: AbortSignal): Promise<Answer<T>> {
  const init: RequestInit = { signal, headers: { Accept: 'application/json' } };
  let url = `/api/v1${path}`;
  if (params) {
    init.method = 'POST';
    init.body = new URLSearchParams(params);
  }
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new APIError(`cannot reach the server: ${(err as Error).message}`, 'unavailable');
  }
  let body: Envelope<T>;
  try {
    body = (await response.json()) as Envelope<T>;
  } catch {
    throw new APIError(`unexpected response (HTTP ${response.status})`, 'bad_response');
  }
  if (body.status !== 'success' || body.data === undefined) {
    throw new APIError(body.error ?? `HTTP ${response.status}`, body.errorType ?? 'unknown');
  }
  return { data: body.data, warnings: body.warnings ?? [] };
}

export type Metric = Record<string, string>;
export type SamplePair = [number, string];

export type QueryData =
  | { resultType: 'vector'; result: { metric: Metric; value: SamplePair }[] }
  | { resultType: 'matrix'; result: { metric: Metric; values: SamplePair[] }[] }
  | { resultType: 'scalar'; result: SamplePair }
  | { resultType: 'string'; result: SamplePair };

export interface ActiveTarget {
  discoveredLabels: Metric;
  labels: Metric;
  scrapePool: string;
  scrapeUrl: string;
  globalUrl: string;
  lastError: string;
  lastScrape: string;
  lastScrapeDuration: number;
  health: 'up' | 'down' | 'unknown';
  scrapeInterval: string;
  scrapeTimeout: string;
}

export interface TargetsData {
  activeTargets: ActiveTarget[];
  droppedTargets: { discoveredLabels: Metric; scrapePool?: string }[];
  droppedTargetCounts?: Record<string, number>;
}

export interface Alert {
  labels: Metric;
  annotations: Metric;
  state: 'pending' | 'firing' | 'inactive';
  activeAt: string;
  value: string;
}

export interface Rule {
  name: string;
  query: string;
  type: 'alerting' | 'recording';
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
  evaluationTime: number;
  lastEvaluation: string;
  labels?: Metric;
  annotations?: Metric;
  duration?: number;
  state?: 'inactive' | 'pending' | 'firing';
  alerts?: Alert[];
}

export interface RuleGroup {
  name: string;
  file: string;
  interval: number;
  rules: Rule[];
  evaluationTime?: number;
  lastEvaluation?: string;
}
