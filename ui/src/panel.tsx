/** One expression panel: editor, Execute, Table and Graph tabs, the result or Prometheus's error. */

import type { EditorView } from '@codemirror/view';
import { useEffect, useRef } from 'preact/hooks';
import { DataTable } from './data_table';
import { Graph } from './graph';
import { useQueryRunner } from './query_runner';
import { EndTimeControl, RangeControls } from './range_controls';
import type { PanelOptions } from './url_state';

interface PanelProps {
  options: PanelOptions;
  change(patch: Partial<PanelOptions>): void;
  remove?: () => void;
}

/** Mounts the PromQL editor, loaded on demand: CodeMirror and the PromQL grammar are most of the bundle, and
 * the status pages need not wait for them. */
function useEditor(host: { current: HTMLDivElement | null }, initial: () => string, onChange: (text: string) => void,
  onExecute: () => void) {
  const editor = useRef<EditorView | null>(null);
  useEffect(() => {
    let cancelled = false;
    void import('./editor').then(({ createEditor }) => {
      if (cancelled || !host.current) return;
      editor.current = createEditor(host.current, initial(), { onChange, onExecute });
    });
    return () => {
      cancelled = true;
      editor.current?.destroy();
    };
  }, []);
}

export function Panel({ options, change, remove }: PanelProps) {
  const editorHost = useRef<HTMLDivElement>(null);
  const latest = useRef(options);
  latest.current = options;
  const runner = useQueryRunner();
  const execute = () => void runner.execute(latest.current);
  const executeRef = useRef(execute);
  executeRef.current = execute;
  useEditor(editorHost, () => latest.current.expr, (text) => change({ expr: text }), () => executeRef.current());

  // Prometheus re-runs a panel when its tab or time settings change, and runs the URL's query on load.
  useEffect(execute, [options.tab, options.rangeInput, options.endInput, options.stepInput]);

  const { outcome, error, warnings, loading, stats } = runner;
  return (
    <div class="panel">
      <div class="expression-row">
        <div class="editor" ref={editorHost} />
        <button type="button" class="execute" onClick={execute} disabled={loading}>
          {loading ? 'Loading…' : 'Execute'}
        </button>
      </div>
      {error && <div class="alert error" role="alert">{error}</div>}
      {warnings.map((w) => <div key={w} class="warning">Warning: {w}</div>)}
      <div class="tabs">
        <button type="button" class={options.tab === 'table' ? 'tab active' : 'tab'} onClick={() => change({ tab: 'table' })}>Table</button>
        <button type="button" class={options.tab === 'graph' ? 'tab active' : 'tab'} onClick={() => change({ tab: 'graph' })}>Graph</button>
        {stats && <span class="stats">Load time: {Math.round(stats.millis)}ms · Result series: {stats.count}</span>}
      </div>
      <div class="tab-body">
        {options.tab === 'graph' && <RangeControls options={options} change={change} />}
        {options.tab === 'table' && (
          <div class="range-controls"><EndTimeControl options={options} change={change} label="Evaluation time" /></div>
        )}
        {options.tab === 'table' && outcome.kind === 'table' && <DataTable data={outcome.data} />}
        {options.tab === 'graph' && outcome.kind === 'graph' && (
          <Graph series={outcome.series} startS={outcome.startS} endS={outcome.endS} stepS={outcome.stepS}
            stacked={options.stacked} />
        )}
        {outcome.kind === 'none' && !error && <div class="empty-result">No data queried yet</div>}
      </div>
      {remove && <button type="button" class="remove-panel" onClick={remove}>Remove panel</button>}
    </div>
  );
}
