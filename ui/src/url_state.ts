/** The expression browser's state in the URL, with Prometheus's parameter names so its links work here. */

export interface PanelOptions {
  expr: string;
  tab: 'graph' | 'table';
  rangeInput: string; // a Prometheus duration such as "1h"
  endInput: string; // graph end and table evaluation time: "" means now; else UTC "YYYY-MM-DD HH:mm:ss"
  stepInput: string; // seconds; "" means automatic
  stacked: boolean;
}

export const DEFAULT_PANEL: PanelOptions = {
  expr: '',
  tab: 'table',
  rangeInput: '1h',
  endInput: '',
  stepInput: '',
  stacked: false,
};

/** Reads every `gN.*` panel from a query string, in N order; one empty panel when there is none. */
export function decodePanels(search: string): PanelOptions[] {
  const params = new URLSearchParams(search);
  const byIndex = new Map<number, PanelOptions>();
  for (const [key, value] of params) {
    const m = /^g(\d+)\.(\w+)$/.exec(key);
    if (!m) continue;
    const index = Number(m[1]);
    const panel = byIndex.get(index) ?? { ...DEFAULT_PANEL };
    byIndex.set(index, panel);
    switch (m[2]) {
      case 'expr': panel.expr = value; break;
      // Prometheus: g0.tab=0 is the graph, 1 the table.
      case 'tab': panel.tab = value === '0' ? 'graph' : 'table'; break;
      case 'range_input': panel.rangeInput = value; break;
      // Prometheus keeps one time per panel and writes it under both names.
      case 'end_input':
      case 'moment_input': panel.endInput = value; break;
      case 'step_input': panel.stepInput = value; break;
      case 'stacked': panel.stacked = value === '1'; break;
    }
  }
  const panels = [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p);
  return panels.length ? panels : [{ ...DEFAULT_PANEL }];
}

/** Writes panels as `g0.expr=...&g0.tab=...`, the inverse of `decodePanels`. */
export function encodePanels(panels: PanelOptions[]): string {
  const params = new URLSearchParams();
  panels.forEach((p, i) => {
    params.set(`g${i}.expr`, p.expr);
    params.set(`g${i}.tab`, p.tab === 'graph' ? '0' : '1');
    params.set(`g${i}.stacked`, p.stacked ? '1' : '0');
    params.set(`g${i}.range_input`, p.rangeInput);
    if (p.endInput) {
      params.set(`g${i}.end_input`, p.endInput);
      params.set(`g${i}.moment_input`, p.endInput);
    }
    if (p.stepInput) params.set(`g${i}.step_input`, p.stepInput);
  });
  return params.toString();
}
