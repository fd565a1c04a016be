/** Alerts: every alerting rule with its state, and its pending and firing alerts (labels, annotations,
 * active since, value), filtered by state like Prometheus's page. */

import { useState } from 'preact/hooks';
import type { Rule, RuleGroup } from '../api';
import { formatAge, formatDuration } from '../format';
import { LabelBadges, Loaded, StateBadge } from '../page_frame';
import { useAPI } from '../use_api';

const STATES = ['inactive', 'pending', 'firing'] as const;

function AlertingRule({ rule }: { rule: Rule }) {
  const [open, setOpen] = useState(rule.state !== 'inactive');
  const alerts = rule.alerts ?? [];
  return (
    <section class={`alert-rule rule-${rule.state ?? 'inactive'}`}>
      <h3 onClick={() => setOpen(!open)}>
        <StateBadge state={rule.state ?? 'inactive'} /> {rule.name} ({alerts.length} active)
      </h3>
      {open && (
        <div>
          <pre class="rule-definition">
            {`alert: ${rule.name}\nexpr: ${rule.query}\n`}
            {rule.duration ? `for: ${formatDuration(rule.duration * 1000)}\n` : ''}
            {rule.labels && Object.keys(rule.labels).length ? `labels:\n${Object.entries(rule.labels).map(([k, v]) => `  ${k}: ${v}`).join('\n')}\n` : ''}
            {rule.annotations && Object.keys(rule.annotations).length ? `annotations:\n${Object.entries(rule.annotations).map(([k, v]) => `  ${k}: ${v}`).join('\n')}\n` : ''}
          </pre>
          {alerts.length > 0 && (
            <table class="status-table">
              <thead><tr><th>Labels</th><th>State</th><th>Active Since</th><th>Value</th><th>Annotations</th></tr></thead>
              <tbody>
                {alerts.map((a, i) => (
                  <tr key={i} class="alert-row">
                    <td><LabelBadges labels={a.labels} /></td>
                    <td><StateBadge state={a.state} /></td>
                    <td>{a.activeAt} <span class="muted">({formatAge(a.activeAt)})</span></td>
                    <td>{a.value}</td>
                    <td>{Object.entries(a.annotations).map(([k, v]) => <div key={k}><strong>{k}</strong>: {v}</div>)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </section>
  );
}

export function AlertsPage() {
  const fetched = useAPI<{ groups: RuleGroup[] }>('/rules?type=alert');
  const [wanted, setWanted] = useState<Set<string>>(new Set(STATES));
  return (
    <div>
      <h2>Alerts</h2>
      <Loaded fetched={fetched}>
        {({ groups }) => {
          const rules = groups.flatMap((g) => g.rules).filter((r) => r.type === 'alerting');
          const counts = Object.fromEntries(STATES.map((s) => [s, rules.filter((r) => r.state === s).length]));
          return (
            <>
              <div class="filters">
                {STATES.map((s) => (
                  <label key={s}>
                    <input type="checkbox" name={`state-${s}`} checked={wanted.has(s)} onChange={() => {
                      const next = new Set(wanted);
                      if (next.has(s)) next.delete(s); else next.add(s);
                      setWanted(next);
                    }} /> <StateBadge state={s} /> ({counts[s]})
                  </label>
                ))}
              </div>
              {rules.length === 0 && <div class="empty-result">No alerting rules.</div>}
              {groups.map((g) => {
                const shown = g.rules.filter((r) => r.type === 'alerting' && wanted.has(r.state ?? 'inactive'));
                return shown.length > 0 && (
                  <div key={`${g.file};${g.name}`} class="rule-group">
                    <h4 class="group-name">{g.file} &gt; {g.name}</h4>
                    {shown.map((r) => <AlertingRule key={r.name} rule={r} />)}
                  </div>
                );
              })}
            </>
          );
        }}
      </Loaded>
    </div>
  );
}
