/** Turns a range query's matrix into uPlot's columnar arrays: one shared time axis, one column per series. */

import type { Metric, SamplePair } from './api';

export interface GraphSeries {
  metric: Metric;
  values: SamplePair[];
}

export interface GraphColumns {
  times: number[]; // seconds, start..end by step
  columns: (number | null)[][]; // per series, null where it has no sample
}

/** Places every sample on the query's step grid; Prometheus's range results are already on that grid. */
export function alignToSteps(series: GraphSeries[], startS: number, endS: number, stepS: number): GraphColumns {
  const count = Math.floor((endS - startS) / stepS + 1e-9) + 1;
  const times = new Array<number>(count);
  for (let i = 0; i < count; i++) times[i] = startS + i * stepS;
  const columns = series.map(({ values }) => {
    const column = new Array<number | null>(count).fill(null);
    for (const [t, v] of values) {
      const i = Math.round((t - startS) / stepS);
      if (i >= 0 && i < count) column[i] = parseSampleValue(v);
    }
    return column;
  });
  return { times, columns };
}

/** Prometheus writes values as strings, including "NaN", "+Inf" and "-Inf"; like Prometheus's graph, these
 * leave a gap rather than stretch the axis to infinity. */
export function parseSampleValue(text: string): number | null {
  const v = Number(text);
  return Number.isFinite(v) ? v : null;
}

/** Running sums over the shown columns, bottom to top; hidden columns are left out of the stack. */
export function stackColumns(columns: (number | null)[][], shown: boolean[]): (number | null)[][] {
  const count = columns.length ? columns[0].length : 0;
  const base = new Array<number>(count).fill(0);
  return columns.map((column, s) => {
    if (!shown[s]) return column;
    const out = new Array<number | null>(count);
    for (let i = 0; i < count; i++) {
      const v = column[i];
      if (v === null) {
        out[i] = null;
      } else {
        base[i] += v;
        out[i] = base[i];
      }
    }
    return out;
  });
}

/** A distinct colour per series: hues spaced by the golden angle, so neighbours never look alike. */
export function seriesColor(index: number, alpha = 1): string {
  const hue = Math.round((index * 137.508 + 100) % 360);
  return `hsla(${hue}, 65%, 45%, ${alpha})`;
}
