import { Command, Option } from 'commander';
import { buildGraph, criticalPath, formatDuration, type Graph } from '../../core';
import { loadPlanFile, type ImportFlags } from '../../planFile';
import { importFlagsOf, withImportFlags } from '../importFlags';
import { action } from '../common';

const FORMATS = ['text', 'mermaid', 'dot', 'json'] as const;

/** `ptq graph FILE`: the DAG with its critical path marked. */
export function graphCommand(): Command {
  return withImportFlags(new Command('graph'))
    .description('print the plan as a graph, critical path marked')
    .argument('<file>', 'plan file')
    .addOption(new Option('--format <format>', 'output format').choices(FORMATS).default('text'))
    .option('--json', 'the same as --format json: tasks with level, estimate and critical flag, edges')
    .addHelpText(
      'after',
      '\nExamples:\n  ptq graph plan.json\n  ptq graph plan.json --format dot | dot -Tsvg > plan.svg\n  ptq graph plan.json --json | jq ".criticalPath"',
    )
    .action(
      action(async (file: string, flags: ImportFlags & { format: (typeof FORMATS)[number]; json?: boolean }) => {
        const g = buildGraph(loadPlanFile(file, importFlagsOf(flags)));
        const path = criticalPath(g);
        process.stdout.write(`${render(g, path, flags.json ? 'json' : flags.format)}\n`);
      }),
    );
}

function render(g: Graph, path: string[], format: (typeof FORMATS)[number]): string {
  const critical = new Set(path);
  const edges = g.deps.flatMap((ds, i) => ds.map((d) => [g.ids[d], g.ids[i]] as const));
  const onPath = (a: string, b: string) => critical.has(a) && critical.has(b);
  switch (format) {
    case 'text': {
      const order = g.ids.map((_, i) => i).sort((a, b) => g.level[a] - g.level[b] || a - b);
      const lines = order.map((i) => {
        const deps = g.deps[i].map((d) => g.ids[d]);
        const mark = critical.has(g.ids[i]) ? '*' : ' ';
        return `${mark} L${g.level[i]} ${g.ids[i]} (${formatDuration(g.estimate[i])})${deps.length ? ` <- ${deps.join(', ')}` : ''}`;
      });
      return [...lines, `* = critical path, ${formatDuration(g.criticalPathMs)}`].join('\n');
    }
    case 'mermaid': {
      const lines = ['graph TD', ...g.ids.map((id) => `  ${safe(id)}["${id}"]`)];
      edges.forEach(([a, b]) => lines.push(`  ${safe(a)} ${onPath(a, b) ? '==>' : '-->'} ${safe(b)}`));
      lines.push('  classDef critical stroke:#d33,stroke-width:3px');
      if (critical.size) lines.push(`  class ${[...critical].map(safe).join(',')} critical`);
      return lines.join('\n');
    }
    case 'dot': {
      const lines = ['digraph plan {', '  rankdir=LR;'];
      g.ids.forEach((id) => lines.push(`  "${id}"${critical.has(id) ? ' [color=red, penwidth=2]' : ''};`));
      edges.forEach(([a, b]) => lines.push(`  "${a}" -> "${b}"${onPath(a, b) ? ' [color=red, penwidth=2]' : ''};`));
      return [...lines, '}'].join('\n');
    }
    case 'json': {
      const tasks = g.ids.map((id, i) => ({
        id,
        level: g.level[i],
        estimateMs: g.estimate[i],
        critical: critical.has(id),
        dependsOn: g.deps[i].map((d) => g.ids[d]),
      }));
      const { criticalPathMs, workMs, levels } = g;
      return JSON.stringify({ tasks, edges, criticalPath: path, criticalPathMs, workMs, levels }, null, 2);
    }
  }
}

function safe(id: string): string {
  return id.replace(/[^\w]/g, '_');
}
