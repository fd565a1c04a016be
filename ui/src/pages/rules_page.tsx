/** Rules: every group's recording and alerting rules with health, last evaluation, duration and error. */

import type { Rule, RuleGroup } from '../api';
import { formatAge, formatDuration, formatSeconds } from '../format';
import { LabelBadges, Loaded, StateBadge } from '../page_frame';
import { useAPI } from '../use_api';

function RuleRow({ rule }: { rule: Rule }) {
  return (
    <tr class="rule-row">
      <td>
        <pre class="rule-definition">
          {rule.type === 'alerting' ? `alert: ${rule.name}` : `record: ${rule.name}`}{'\n'}expr: {rule.query}
          {rule.duration ? `\nfor: ${formatDuration(rule.duration * 1000)}` : ''}
        </pre>
        {rule.labels && Object.keys(rule.labels).length > 0 && <LabelBadges labels={rule.labels} />}
      </td>
      <td><StateBadge state={rule.health} /></td>
      <td class="rule-error">{rule.lastError}</td>
      <td>{formatAge(rule.lastEvaluation)}</td>
      <td>{formatSeconds(rule.evaluationTime)}</td>
    </tr>
  );
}

export function RulesPage() {
  const fetched = useAPI<{ groups: RuleGroup[] }>('/rules');
  return (
    <div>
      <h2>Rules</h2>
      <Loaded fetched={fetched}>
        {({ groups }) => groups.length === 0 ? <div class="empty-result">No rule groups configured.</div> : (
          <>
            {groups.map((g) => (
              <section key={`${g.file};${g.name}`} class="rule-group">
                <h3>{g.name} <span class="muted">({g.file}, every {formatDuration(g.interval * 1000)})</span></h3>
                <table class="status-table">
                  <thead><tr><th>Rule</th><th>State</th><th>Error</th><th>Last Evaluation</th><th>Evaluation Time</th></tr></thead>
                  <tbody>{g.rules.map((r) => <RuleRow key={r.name + r.query} rule={r} />)}</tbody>
                </table>
              </section>
            ))}
          </>
        )}
      </Loaded>
    </div>
  );
}
