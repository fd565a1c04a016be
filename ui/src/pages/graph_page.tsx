/** The expression browser: several panels, their state mirrored into the URL with Prometheus's names. */

import { useEffect, useState } from 'preact/hooks';
import { Panel } from '../panel';
import { decodePanels, DEFAULT_PANEL, encodePanels, type PanelOptions } from '../url_state';

interface KeyedPanel {
  key: number;
  options: PanelOptions;
}

let nextKey = 0;
const keyed = (options: PanelOptions): KeyedPanel => ({ key: nextKey++, options });

export function GraphPage() {
  const [panels, setPanels] = useState<KeyedPanel[]>(() => decodePanels(window.location.search).map(keyed));

  useEffect(() => {
    const search = `?${encodePanels(panels.map((p) => p.options))}`;
    if (search !== window.location.search) window.history.replaceState(null, '', `/graph${search}`);
  }, [panels]);

  const change = (key: number, patch: Partial<PanelOptions>) =>
    setPanels((current) => current.map((p) => (p.key === key ? { key, options: { ...p.options, ...patch } } : p)));

  return (
    <div class="graph-page">
      {panels.map((p) => (
        <Panel key={p.key} options={p.options} change={(patch) => change(p.key, patch)}
          remove={panels.length > 1 ? () => setPanels((c) => c.filter((q) => q.key !== p.key)) : undefined} />
      ))}
      <button type="button" class="add-panel" onClick={() => setPanels((c) => [...c, keyed({ ...DEFAULT_PANEL })])}>
        Add Panel
      </button>
    </div>
  );
}
