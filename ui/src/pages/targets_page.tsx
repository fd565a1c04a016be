/** Targets: per scrape pool, each target's health, labels after (and, on demand, before) relabelling,
 * last scrape, duration and error; filtered by health and by text. */

import { useState } from 'preact/hooks';
import type { ActiveTarget, TargetsData } from '../api';
import { formatAge, formatSeconds } from '../format';
import { LabelBadges, Loaded, StateBadge } from '../page_frame';
import { useAPI } from '../use_api';

const HEALTHS = ['up', 'down', 'unknown'] as const;

function matchesText(target: ActiveTarget, text: string): boolean {
  if (!text) return true;
  const needle = text.toLowerCase();
  return target.scrapeUrl.toLowerCase().includes(needle) ||
    Object.entries(target.labels).some(([k, v]) => `${k}="${v}"`.toLowerCase().includes(needle));
}

function TargetRow({ target }: { target: ActiveTarget }) {
  const [showDiscovered, setShowDiscovered] = useState(false);
  return (
    <tr class="target-row">
      <td><a href={target.globalUrl || target.scrapeUrl}>{target.scrapeUrl}</a></td>
      <td><StateBadge state={target.health} /></td>
      <td>
        <LabelBadges labels={target.labels} />
        <button type="button" class="link" onClick={() => setShowDiscovered(!showDiscovered)}>
          {showDiscovered ? 'hide' : 'show'} labels before relabelling
        </button>
        {showDiscovered && <div class="discovered"><LabelBadges labels={target.discoveredLabels} /></div>}
      </td>
      <td>{formatAge(target.lastScrape)}</td>
      <td>{formatSeconds(target.lastScrapeDuration)}</td>
      <td class="scrape-error">{target.lastError}</td>
    </tr>
  );
}

function Pool({ name, targets }: { name: string; targets: ActiveTarget[] }) {
  const up = targets.filter((t) => t.health === 'up').length;
  return (
    <section class="pool">
      <h3>{name} <span class={up === targets.length ? 'count ok' : 'count bad'}>({up}/{targets.length} up)</span></h3>
      <table class="status-table">
        <thead><tr><th>Endpoint</th><th>State</th><th>Labels</th><th>Last Scrape</th><th>Scrape Duration</th><th>Error</th></tr></thead>
        <tbody>{targets.map((t) => <TargetRow key={t.scrapeUrl} target={t} />)}</tbody>
      </table>
    </section>
  );
}

export function TargetsPage() {
  const fetched = useAPI<TargetsData>('/targets?state=active');
  const [healths, setHealths] = useState<Set<string>>(new Set(HEALTHS));
  const [text, setText] = useState('');
  return (
    <div>
      <h2>Targets</h2>
      <div class="filters">
        {HEALTHS.map((h) => (
          <label key={h}>
            <input type="checkbox" name={`health-${h}`} checked={healths.has(h)} onChange={() => {
              const next = new Set(healths);
              if (next.has(h)) next.delete(h); else next.add(h);
              setHealths(next);
            }} /> {h}
          </label>
        ))}
        <input class="text-filter" placeholder="Filter by endpoint or labels" value={text}
          onInput={(e) => setText((e.target as HTMLInputElement).value)} />
      </div>
      <Loaded fetched={fetched}>
        {(data) => {
          const shown = data.activeTargets.filter((t) => healths.has(t.health) && matchesText(t, text));
          const pools = new Map<string, ActiveTarget[]>();
          for (const t of shown) pools.set(t.scrapePool, [...(pools.get(t.scrapePool) ?? []), t]);
          if (!pools.size) return <div class="empty-result">No targets match.</div>;
          return <>{[...pools].map(([name, targets]) => <Pool key={name} name={name} targets={targets} />)}</>;
        }}
      </Loaded>
    </div>
  );
}
