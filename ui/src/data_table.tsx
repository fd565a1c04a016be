/** The Table tab: an instant query's result as Prometheus's expression browser lists it. */

import type { QueryData } from './api';
import { formatSeries } from './format';

const MAX_ROWS = 10_000;

export function DataTable({ data }: { data: QueryData }) {
  if (data.resultType === 'scalar' || data.resultType === 'string') {
    return (
      <table class="data-table">
        <tbody><tr><td>{data.resultType}</td><td class="value">{data.result[1]}</td></tr></tbody>
      </table>
    );
  }
  if (data.result.length === 0) return <div class="empty-result">Empty query result</div>;
  const rows = data.result.slice(0, MAX_ROWS);
  return (
    <div>
      {data.result.length > MAX_ROWS && (
        <div class="warning">Showing {MAX_ROWS} of {data.result.length} series.</div>
      )}
      <table class="data-table">
        <tbody>
          {data.resultType === 'vector'
            ? (rows as { metric: Record<string, string>; value: [number, string] }[]).map((r, i) => (
              <tr key={i}><td class="series">{formatSeries(r.metric)}</td><td class="value">{r.value[1]}</td></tr>
            ))
            : (rows as { metric: Record<string, string>; values: [number, string][] }[]).map((r, i) => (
              <tr key={i}>
                <td class="series">{formatSeries(r.metric)}</td>
                <td class="value">{r.values.map(([t, v]) => <div key={t}>{v} @{t}</div>)}</td>
              </tr>
            ))}
        </tbody>
      </table>
    </div>
  );
}
