/** The Graph tab's controls: range, end time, resolution, stacked or not. */

import { formatDuration, formatUTC, parseDuration, parseUTC } from './format';
import type { PanelOptions } from './url_state';

// The range steps Prometheus's "-" and "+" buttons walk through.
const RANGE_STEPS = ['1s', '10s', '1m', '5m', '15m', '30m', '1h', '2h', '6h', '12h', '1d', '2d', '1w', '2w', '4w', '8w',
  '1y'].map((d) => parseDuration(d)!);

interface Props {
  options: PanelOptions;
  change(patch: Partial<PanelOptions>): void;
}

function stepRange(current: string, direction: 1 | -1): string {
  const ms = parseDuration(current) ?? 3600_000;
  const candidates = direction > 0 ? RANGE_STEPS.filter((r) => r > ms) : RANGE_STEPS.filter((r) => r < ms).reverse();
  return formatDuration(candidates[0] ?? ms);
}

function shiftEnd(options: PanelOptions, direction: 1 | -1): string {
  const range = parseDuration(options.rangeInput) ?? 3600_000;
  const end = (options.endInput && parseUTC(options.endInput)) || Date.now();
  return formatUTC(end + (direction * range) / 2);
}

/** The end time (graph) or evaluation time (table): typed in UTC, or moved by half the range. */
export function EndTimeControl({ options, change, label }: Props & { label: string }) {
  return (
    <div class="control-group">
      <button type="button" title="Earlier" aria-label="Earlier" onClick={() => change({ endInput: shiftEnd(options, -1) })}>«</button>
      <input class="end-input" value={options.endInput} placeholder={`${label} (UTC)`} size={19} aria-label={label}
        onChange={(e) => {
          const text = (e.target as HTMLInputElement).value.trim();
          const parsed = text ? parseUTC(text) : 0;
          change({ endInput: parsed === null ? options.endInput : parsed ? formatUTC(parsed) : '' });
        }} />
      <button type="button" title="Later" aria-label="Later" onClick={() => change({ endInput: shiftEnd(options, 1) })}>»</button>
      <button type="button" title="Now" onClick={() => change({ endInput: '' })}>now</button>
    </div>
  );
}

export function RangeControls({ options, change }: Props) {
  return (
    <div class="range-controls">
      <div class="control-group">
        <button type="button" title="Decrease range" aria-label="Decrease range" onClick={() => change({ rangeInput: stepRange(options.rangeInput, -1) })}>−</button>
        <input class="range-input" value={options.rangeInput} size={5} aria-label="Range"
          onChange={(e) => {
            const text = (e.target as HTMLInputElement).value;
            if (parseDuration(text)) change({ rangeInput: text });
            else (e.target as HTMLInputElement).value = options.rangeInput;
          }} />
        <button type="button" title="Increase range" aria-label="Increase range" onClick={() => change({ rangeInput: stepRange(options.rangeInput, 1) })}>+</button>
      </div>
      <EndTimeControl options={options} change={change} label="End time" />
      <input class="step-input" value={options.stepInput} placeholder="Res. (s)" size={7} aria-label="Resolution"
        onChange={(e) => {
          const text = (e.target as HTMLInputElement).value.trim();
          change({ stepInput: text === '' || Number(text) > 0 ? text : options.stepInput });
        }} />
      <div class="control-group toggle">
        <button type="button" class={options.stacked ? '' : 'active'} onClick={() => change({ stacked: false })}>unstacked</button>
        <button type="button" class={options.stacked ? 'active' : ''} onClick={() => change({ stacked: true })}>stacked</button>
      </div>
    </div>
  );
}
