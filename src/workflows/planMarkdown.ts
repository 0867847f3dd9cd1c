import type { Plan } from '../core/plan/plan';
import { formatDuration } from '../core/plan/duration';

const MAX_ROWS = 50;

/** A plan as Markdown for the Web UI: how it was made, then its tasks. */
export function planMarkdown(plan: Plan): string {
  const meta = plan.metadata;
  const head = meta
    ? [
        `**${plan.name}** planned by ${meta.planner}${meta.model ? ` (${meta.model})` : ''}: ${meta.complexity ?? ''}`,
        '',
        meta.reasoning ?? '',
      ]
    : [`**${plan.name}**`];
  const rows = plan.tasks.slice(0, MAX_ROWS).map((t) => {
    const est = t.estimate === undefined ? '-' : formatDuration(t.estimate);
    return `| ${t.id} | ${t.title ?? ''} | ${t.dependsOn.join(', ') || '-'} | ${est} |`;
  });
  const more = plan.tasks.length > MAX_ROWS ? [`| … ${plan.tasks.length - MAX_ROWS} more | | | |`] : [];
  return [...head, '', '| task | title | depends on | estimate |', '|---|---|---|---|', ...rows, ...more].join('\n');
}
