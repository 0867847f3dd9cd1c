import { Command } from 'commander';
import { buildGraph, formatDuration, lowerBoundMs, POLICIES, simulate, type Policy } from '../../core';
import { PtqError } from '../../errors';
import { loadPlanFile, type ImportFlags } from '../../planFile';
import { importFlagsOf, withImportFlags } from '../importFlags';
import { action, intOption, printJson } from '../common';

/** `ptq simulate FILE`: makespan of each policy in virtual time, against the lower bound. */
export function simulateCommand(): Command {
  return withImportFlags(new Command('simulate'))
    .description('simulate a plan with its estimates and compare scheduling policies')
    .argument('<file>', 'plan file')
    .option('--max-concurrency <n>', "M (default: the plan's)", intOption('--max-concurrency', 1, 2000))
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
        const row = (r: ReturnType<typeof simulate>) => ({
          makespanMs: r.makespanMs,
          ratio: Math.round(r.ratio * 1000) / 1000,
        });
        const results: Record<string, ReturnType<typeof row>> = Object.fromEntries(
          policies.map((p) => [p, row(simulate(plan, p, m))]),
        );
        // What the searched order gains over plain longest-path-first (see core/priority.ts).
        if (policies.includes('critical-path'))
          results['longest-path-first'] = row(simulate(plan, 'critical-path', m, undefined, false));
        const out = {
          maxConcurrency: m,
          lowerBoundMs: lowerBoundMs(g, m),
          criticalPathMs: g.criticalPathMs,
          workMs: g.workMs,
          policies: results,
        };
        if (flags.json) return printJson(out);
        process.stdout.write(
          `M=${m}  lower bound ${formatDuration(out.lowerBoundMs)}  (critical path ${formatDuration(g.criticalPathMs)}, work ${formatDuration(g.workMs)})\n`,
        );
        for (const [p, r] of Object.entries(results)) {
          process.stdout.write(
            `  ${p.padEnd(18)} makespan ${formatDuration(r.makespanMs).padStart(8)}  ratio ${r.ratio.toFixed(3)}\n`,
          );
        }
      }),
    );
}
