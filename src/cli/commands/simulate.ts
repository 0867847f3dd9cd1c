import { Command } from 'commander';
import { buildGraph, formatDuration, MAX_CONCURRENCY, POLICIES, simulate, type Policy } from '../../core';
import { PtqError } from '../../errors';
import { loadPlanFile, type ImportFlags } from '../../planFile';
import { importFlagsOf, withImportFlags } from '../importFlags';
import { action, intOption, printJson } from '../common';

/** `ptq simulate FILE`: makespan of each policy in virtual time, against the lower bound. */
export function simulateCommand(): Command {
  return withImportFlags(new Command('simulate'))
    .description('simulate a plan with its estimates and compare scheduling policies')
    .argument('<file>', 'plan file')
    .option('--max-concurrency <n>', "M (default: the plan's)", intOption('--max-concurrency', 1, MAX_CONCURRENCY))
    .option('--policy <policy>', `one of ${POLICIES.join(', ')}, or all`, 'all')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  ptq simulate plan.json --max-concurrency 8')
    .action(
      action(async (file: string, flags: ImportFlags & { maxConcurrency?: number; policy: string; json?: boolean }) => {
        const plan = loadPlanFile(file, importFlagsOf(flags));
        const m = flags.maxConcurrency ?? plan.maxConcurrency;
        if (flags.policy !== 'all' && !POLICIES.includes(flags.policy as Policy)) {
          throw new PtqError(`unknown policy "${flags.policy}": use ${POLICIES.join(', ')} or all`);
        }
        const policies = flags.policy === 'all' ? POLICIES : [flags.policy as Policy];
        const g = buildGraph(plan);
        const runs = policies.map((p) => simulate(plan, p, m));
        // What critical-path's search gains over plain longest-path-first (see core/schedule/priority.ts).
        const plain = policies.includes('critical-path')
          ? simulate(plan, 'critical-path', m, undefined, 'none')
          : undefined;
        const bound = Math.max(...[...runs, ...(plain ? [plain] : [])].map((r) => r.lowerBoundMs));
        const row = (r: ReturnType<typeof simulate>) => ({
          makespanMs: r.makespanMs,
          ratio: Math.round((r.makespanMs / Math.max(1, bound)) * 1000) / 1000,
          ...(r.planned ? { plannedSchedule: true } : {}),
        });
        const results = Object.fromEntries(runs.map((r) => [r.policy, row(r)]));
        const longestPathFirst = plain ? row(plain) : undefined;
        const out = {
          maxConcurrency: m,
          lowerBoundMs: bound,
          criticalPathMs: g.criticalPathMs,
          workMs: g.workMs,
          policies: results,
          ...(longestPathFirst ? { longestPathFirst } : {}),
        };
        if (flags.json) return printJson(out);
        process.stdout.write(
          `M=${m}  lower bound ${formatDuration(out.lowerBoundMs)}  (critical path ${formatDuration(g.criticalPathMs)}, work ${formatDuration(g.workMs)})\n`,
        );
        const lines = Object.entries(results);
        if (longestPathFirst) lines.push(['longest-path-first', longestPathFirst]);
        for (const [p, r] of lines) {
          const note = 'plannedSchedule' in r ? '  (a planned schedule: idles a slot on purpose)' : '';
          process.stdout.write(
            `  ${p.padEnd(18)} makespan ${formatDuration(r.makespanMs).padStart(8)}  ratio ${r.ratio.toFixed(3)}${note}\n`,
          );
        }
      }),
    );
}
