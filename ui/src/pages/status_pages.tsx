/** Server facts: runtime and build information, command-line flags, the loaded configuration and the
 * TSDB's cardinality statistics. */

import { useState } from 'preact/hooks';
import { formatUTC } from '../format';
import { Loaded } from '../page_frame';
import { useAPI } from '../use_api';

function KeyValueTable({ rows }: { rows: [string, unknown][] }) {
  return (
    <table class="status-table key-value">
      <tbody>
        {rows.map(([k, v]) => <tr key={k}><th>{k}</th><td>{typeof v === 'object' ? JSON.stringify(v) : String(v)}</td></tr>)}
      </tbody>
    </table>
  );
}

export function StatusPage() {
  const runtime = useAPI<Record<string, unknown>>('/status/runtimeinfo');
  const build = useAPI<Record<string, string>>('/status/buildinfo');
  return (
    <div>
      <h2>Runtime Information</h2>
      <Loaded fetched={runtime}>{(data) => <KeyValueTable rows={Object.entries(data)} />}</Loaded>
      <h2>Build Information</h2>
      <Loaded fetched={build}>{(data) => <KeyValueTable rows={Object.entries(data)} />}</Loaded>
    </div>
  );
}

export function FlagsPage() {
  const flags = useAPI<Record<string, string>>('/status/flags');
  const [filter, setFilter] = useState('');
  return (
    <div>
      <h2>Command-Line Flags</h2>
      <input class="text-filter" placeholder="Filter by flag name or value" value={filter}
        onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
      <Loaded fetched={flags}>
        {(data) => (
          <KeyValueTable rows={Object.entries(data).filter(([k, v]) => `${k} ${v}`.toLowerCase().includes(filter.toLowerCase()))} />
        )}
      </Loaded>
    </div>
  );
}

export function ConfigPage() {
  const config = useAPI<{ yaml: string }>('/status/config');
  return (
    <div>
      <h2>Configuration</h2>
      <Loaded fetched={config}>
        {({ yaml }) => (
          <>
            <button type="button" onClick={() => void navigator.clipboard?.writeText(yaml)}>Copy to clipboard</button>
            <pre class="config-yaml">{yaml}</pre>
          </>
        )}
      </Loaded>
    </div>
  );
}

interface NameValue {
  name: string;
  value: number;
}

const CARDINALITY_TABLES: [string, string, string][] = [
  ['seriesCountByMetricName', 'Top 10 series count by metric names', 'Count'],
  ['labelValueCountByLabelName', 'Top 10 label names with value count', 'Count'],
  ['memoryInBytesByLabelName', 'Top 10 label names with high memory usage', 'Bytes'],
  ['seriesCountByLabelValuePair', 'Top 10 series count by label value pairs', 'Count'],
];

export function TSDBStatusPage() {
  const tsdb = useAPI<Record<string, unknown>>('/status/tsdb');
  return (
    <div>
      <h2>TSDB Status</h2>
      <Loaded fetched={tsdb}>
        {(data) => {
          const head = (data.headStats ?? {}) as Record<string, number>;
          const headRows: [string, unknown][] = Object.entries(head).map(([k, v]) =>
            [k, (k === 'minTime' || k === 'maxTime') && v > 0 ? `${formatUTC(v)} (${v})` : v]);
          return (
            <>
              <h3>Head Stats</h3>
              <KeyValueTable rows={headRows} />
              {CARDINALITY_TABLES.map(([key, title, unit]) => (
                <section key={key} class="cardinality">
                  <h3>{title}</h3>
                  <table class="status-table">
                    <thead><tr><th>Name</th><th>{unit}</th></tr></thead>
                    <tbody>
                      {((data[key] ?? []) as NameValue[]).map((r) => <tr key={r.name}><td>{r.name}</td><td>{r.value}</td></tr>)}
                    </tbody>
                  </table>
                </section>
              ))}
            </>
          );
        }}
      </Loaded>
    </div>
  );
}
