/** Pieces every status page shares: the loading/error frame and label badges. */

import type { ComponentChildren } from 'preact';
import type { Metric } from './api';
import type { Fetched } from './use_api';

export function Loaded<T>({ fetched, children }: { fetched: Fetched<T>; children: (data: T) => ComponentChildren }) {
  if (fetched.state === 'loading') return <div class="loading">Loading…</div>;
  if (fetched.state === 'error') return <div class="alert error" role="alert">Error fetching data: {fetched.message}</div>;
  return <>{children(fetched.data)}</>;
}

export function LabelBadges({ labels }: { labels: Metric }) {
  return (
    <div class="badges">
      {Object.entries(labels).map(([k, v]) => <span key={k} class="badge label">{k}="{v}"</span>)}
    </div>
  );
}

export function StateBadge({ state }: { state: string }) {
  return <span class={`badge state-${state.toLowerCase()}`}>{state.toUpperCase()}</span>;
}
