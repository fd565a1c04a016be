/** Service discovery: per scrape pool, each discovered label set beside the labels it became after
 * relabelling, or "Dropped". */

import type { Metric, TargetsData } from '../api';
import { LabelBadges, Loaded } from '../page_frame';
import { useAPI } from '../use_api';

interface Pair {
  discovered: Metric;
  target: Metric | null;
}

function poolsOf(data: TargetsData): Map<string, Pair[]> {
  const pools = new Map<string, Pair[]>();
  const add = (pool: string, pair: Pair) => pools.set(pool, [...(pools.get(pool) ?? []), pair]);
  for (const t of data.activeTargets) add(t.scrapePool, { discovered: t.discoveredLabels, target: t.labels });
  // Prometheus 2.42 does not name a dropped target's pool; its UI files it under the discovered job label.
  for (const d of data.droppedTargets) {
    add(d.scrapePool ?? d.discoveredLabels.job ?? '', { discovered: d.discoveredLabels, target: null });
  }
  return pools;
}

export function ServiceDiscoveryPage() {
  const fetched = useAPI<TargetsData>('/targets');
  return (
    <div>
      <h2>Service Discovery</h2>
      <Loaded fetched={fetched}>
        {(data) => {
          const pools = poolsOf(data);
          return (
            <>
              <ul class="pool-summary">
                {[...pools].map(([name, pairs]) => (
                  <li key={name}><a href={`#pool-${name}`}>{name}</a> ({pairs.filter((p) => p.target).length} / {pairs.length} active targets)</li>
                ))}
              </ul>
              {[...pools].map(([name, pairs]) => (
                <section key={name} id={`pool-${name}`} class="pool">
                  <h3>{name}</h3>
                  <table class="status-table">
                    <thead><tr><th>Discovered Labels</th><th>Target Labels</th></tr></thead>
                    <tbody>
                      {pairs.map((p, i) => (
                        <tr key={i}>
                          <td><LabelBadges labels={p.discovered} /></td>
                          <td>{p.target ? <LabelBadges labels={p.target} /> : <span class="badge dropped">Dropped</span>}</td>
                        </tr>
                      ))}
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
