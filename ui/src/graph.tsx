/** The Graph tab: uPlot canvas, a legend that toggles series, and a hover box with the nearest series' value. */

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatSeries, formatUTC } from './format';
import { alignToSteps, type GraphSeries, seriesColor, stackColumns } from './graph_data';

interface GraphProps {
  series: GraphSeries[];
  startS: number;
  endS: number;
  stepS: number;
  stacked: boolean;
}

interface Hover {
  left: number;
  top: number;
  time: number;
  label: string;
  value: number;
  color: string;
}

const HEIGHT = 360;
// Stacked areas start from zero, as in Prometheus's stacked graphs.
const STACKED_Y: uPlot.Scale = { range: (_u, min, max) => uPlot.rangeNum(Math.min(0, min), max, 0.1, true) };

function buildOptions(props: GraphProps, width: number, shown: boolean[], onHover: (h: Hover | null) => void,
  raw: (number | null)[][]): uPlot.Options {
  let drawn = false;
  return {
    width,
    height: HEIGHT,
    legend: { show: false },
    cursor: { drag: { x: true, y: false }, points: { show: false } },
    scales: { x: { time: true }, y: props.stacked ? STACKED_Y : {} },
    // UTC, like the end-time input and Prometheus's default ("Use local time" off).
    tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC'),
    axes: [{ stroke: '#555', values: (_u, splits, _axis, _space, incr) => splits.map((t) => timeTick(t, incr)) },
      { stroke: '#555', size: 70 }],
    series: [
      { value: (_u, v) => formatUTC(v * 1000) },
      ...props.series.map((s, i) => ({
        label: formatSeries(s.metric),
        stroke: seriesColor(i),
        width: 1.5,
        fill: props.stacked && i === shown.indexOf(true) ? seriesColor(i, 0.35) : undefined,
        show: shown[i],
        points: { show: false },
      })),
    ],
    // Stacked areas fill the band between a series and the shown one below it.
    bands: props.stacked ? stackBands(shown) : undefined,
    hooks: {
      draw: [(u) => {
        if (drawn) return;
        drawn = true;
        // Read by the browser tests: time from "Execute" to the first drawn frame.
        performance.mark('ember-graph-drawn');
        u.root.dataset.drawn = '1';
      }],
      setCursor: [(u) => onHover(nearestSeries(u, props, raw))],
    },
  };
}

/** A time-axis label in UTC, as precise as the tick spacing needs: `09:15`, `09:15:30` or `11-25 09:15`. */
function timeTick(seconds: number, incrementS: number): string {
  const text = formatUTC(seconds * 1000); // YYYY-MM-DD HH:mm:ss
  if (incrementS < 60) return text.slice(11);
  if (incrementS < 86_400) return text.slice(11, 16);
  return text.slice(5, 16);
}

function stackBands(shown: boolean[]): uPlot.Band[] {
  const bands: uPlot.Band[] = [];
  let below = -1;
  shown.forEach((isShown, i) => {
    if (!isShown) return;
    if (below >= 0) bands.push({ series: [i + 1, below + 1], fill: seriesColor(i, 0.35) });
    below = i;
  });
  return bands;
}

/** The shown series closest to the cursor at its time step, with its own (unstacked) value. */
function nearestSeries(u: uPlot, props: GraphProps, raw: (number | null)[][]): Hover | null {
  const idx = u.cursor.idx;
  const top = u.cursor.top ?? -1;
  if (idx === null || idx === undefined || top < 0) return null;
  let best = -1;
  let bestDistance = Infinity;
  for (let s = 1; s < u.series.length; s++) {
    const v = u.data[s][idx];
    if (!u.series[s].show || v === null || v === undefined) continue;
    const distance = Math.abs(u.valToPos(v, 'y') - top);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = s;
    }
  }
  if (best < 0) return null;
  return {
    left: u.cursor.left ?? 0,
    top,
    time: u.data[0][idx] * 1000,
    label: formatSeries(props.series[best - 1].metric),
    value: raw[best - 1][idx] as number,
    color: seriesColor(best - 1),
  };
}

function HoverBox({ hover }: { hover: Hover }) {
  return (
    <div class="graph-hover" style={{ left: hover.left + 80, top: hover.top + 10 }}>
      <div class="graph-hover-time">{formatUTC(hover.time)}</div>
      <div><span class="swatch" style={{ background: hover.color }} />{hover.label}</div>
      <div>value: <strong>{String(hover.value)}</strong></div>
    </div>
  );
}

interface LegendProps {
  series: GraphSeries[];
  shown: boolean[];
  toggle(index: number, only: boolean): void;
}

function Legend({ series, shown, toggle }: LegendProps) {
  return (
    <div class="legend" title="Click toggles a series; Ctrl+click shows only it (again: all)">
      {series.map((s, i) => (
        <div key={i} class={`legend-item${shown[i] ? '' : ' legend-hidden'}`}
          onClick={(e) => toggle(i, e.ctrlKey || e.metaKey)}>
          <span class="swatch" style={{ background: seriesColor(i) }} />
          {formatSeries(s.metric)}
        </div>
      ))}
    </div>
  );
}

export function Graph(props: GraphProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  // Visibility belongs to one result: a new result shows every series again.
  const [visibility, setVisibility] = useState<{ of: GraphSeries[]; shown: boolean[] } | null>(null);
  const allShown = useMemo(() => props.series.map(() => true), [props.series]);
  const shown = visibility?.of === props.series ? visibility.shown : allShown;
  const [hover, setHover] = useState<Hover | null>(null);
  const aligned = useMemo(() => alignToSteps(props.series, props.startS, props.endS, props.stepS),
    [props.series, props.startS, props.endS, props.stepS]);

  // Unstacked, a toggle only hides a line; stacked, the sums change, so the plot is rebuilt.
  const rebuildKey = props.stacked ? shown : null;
  useEffect(() => {
    if (!host.current) return;
    const columns = props.stacked ? stackColumns(aligned.columns, shown) : aligned.columns;
    const data = [aligned.times, ...columns] as uPlot.AlignedData;
    const width = host.current.clientWidth || 800;
    const u = new uPlot(buildOptions(props, width, shown, setHover, aligned.columns), data, host.current);
    plot.current = u;
    const resize = () => host.current && u.setSize({ width: host.current.clientWidth, height: HEIGHT });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      u.destroy();
      plot.current = null;
    };
  }, [aligned, props.stacked, rebuildKey]);

  const toggle = (i: number, only: boolean) => {
    const alone = shown[i] && shown.filter(Boolean).length === 1;
    const next = only ? shown.map((_, j) => alone || j === i) : shown.map((v, j) => (j === i ? !v : v));
    if (!props.stacked) next.forEach((v, j) => v !== shown[j] && plot.current?.setSeries(j + 1, { show: v }));
    setVisibility({ of: props.series, shown: next });
  };

  return (
    <div class="graph">
      <div class="graph-canvas" ref={host} onMouseLeave={() => setHover(null)}>
        {hover && <HoverBox hover={hover} />}
      </div>
      <Legend series={props.series} shown={shown} toggle={toggle} />
    </div>
  );
}
