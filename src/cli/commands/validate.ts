import { Command } from 'commander';
import {
  buildGraph,
  criticalPath,
  executionOf,
  formatDuration,
  lowerBoundMs,
  planWarnings,
  plural,
  simulate,
  undeclaredLimits,
  type Plan,
} from '../../core';
import { connectClient } from '../../client';
import { LimitStore } from '../../temporal/limits';
import { connectionSettings } from '../../temporal/connection';
import { fileOverlaps } from '../../core/plan/files';
import { ExitCode, PlanError } from '../../errors';
import { payloadProblem } from '../../temporal/payloadSize';
import { loadPlanFile, type ImportFlags } from '../../planFile';
import { importFlagsOf, withImportFlags } from '../importFlags';
import { action, printJson } from '../common';

/** Pairs of tasks whose files overlap that validate lists: a pattern many tasks share makes many. */
const SHOWN_OVERLAPS = 1_000;

/** `ptq validate FILE`: every problem on its own line, or "ok" with the plan's shape. */
export function validateCommand(): Command {
  return withImportFlags(new Command('validate'))
    .description('check a plan without running it')
    .argument('<file>', 'plan file, JSON or YAML')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  ptq validate examples/build-app.json')
    .action(
      action(async (file: string, flags: ImportFlags & { json?: boolean }) => {
        let plan;
        try {
          plan = loadPlanFile(file, importFlagsOf(flags));
          const tooBig = await payloadProblem(plan);
          if (tooBig) throw new PlanError(file, [tooBig]);
        } catch (err) {
          if (!(err instanceof PlanError)) throw err;
          if (flags.json) printJson({ ok: false, problems: err.problems });
          else for (const p of err.problems) process.stderr.write(`${file}: ${p}\n`);
          return ExitCode.usage;
        }
        const unknown = await unknownLimits(plan);
        if (unknown.length) {
          for (const name of unknown)
            process.stderr.write(
              `${file}: rate limit "${name}" is neither declared in "limits" nor on the server: add "limits": {"${name}": {"rate": "10/s"}} or run \`ptq limit set ${name} --rate 10/s\`\n`,
            );
          return ExitCode.unknownLimit;
        }
        const g = buildGraph(plan);
        const edges = g.deps.reduce((n, d) => n + d.length, 0);
        const simulated = simulation(plan);
        const overlaps = fileOverlaps(plan, SHOWN_OVERLAPS);
        const info = {
          ok: true,
          tasks: plan.tasks.length,
          edges,
          levels: g.levels,
          criticalPathMs: g.criticalPathMs,
          criticalPath: criticalPath(g),
          workMs: g.workMs,
          maxConcurrency: plan.maxConcurrency,
          lowerBoundMs: simulated?.lowerBoundMs ?? lowerBoundMs(g, plan.maxConcurrency),
          // The schedule a run would follow if every task took its estimate.
          simulatedMs: simulated?.makespanMs ?? null,
          // How many tasks run inline and how many get a child workflow (maps always do).
          execution: executionCounts(plan),
          // Tasks whose `files` overlap share a mutex: these pairs never run at once (the first ones).
          serialized: overlaps.pairs,
          ...(overlaps.more ? { serializedTruncated: true } : {}),
          // Allowed, but likely not meant: a map or group asking for more than M.
          warnings: planWarnings(plan),
        };
        if (flags.json) return printJson(info);
        for (const w of info.warnings) process.stderr.write(`${file}: warning: ${w}\n`);
        process.stdout.write(
          `ok: ${plural(info.tasks, 'task')}, ${plural(edges, 'edge')}, ${plural(info.levels, 'level')}; critical path ${formatDuration(g.criticalPathMs)} ` +
            `(${info.criticalPath.join(' -> ')}); at M=${plan.maxConcurrency}${plan.maxConcurrencyAuto ? ' (auto, at most)' : ''}: ${scheduleText(info.simulatedMs, info.lowerBoundMs, plan)}\n` +
            `${plural(info.execution.inline, 'task')} inline, ${info.execution.child} as child workflows\n`,
        );
        for (const { a, b, files } of info.serialized)
          process.stdout.write(`files overlap: ${a} and ${b} never run at once (${files[0]} ~ ${files[1]})\n`);
        if (overlaps.more) process.stdout.write(`files overlap: more pairs after these ${SHOWN_OVERLAPS}\n`);
      }),
    );
}

/** Limits the plan uses that it does not declare and the server does not have; asks the server only if there are any. */
async function unknownLimits(plan: Plan): Promise<string[]> {
  const undeclared = undeclaredLimits(plan);
  if (undeclared.length === 0) return [];
  const client = await connectClient();
  const existing = await new LimitStore(client.workflowService, connectionSettings().namespace).definitions();
  return undeclared.filter((name) => !Object.hasOwn(existing, name));
}

/** The run if every task took its estimate, or undefined for a plan the simulator cannot play out. */
function simulation(plan: Plan): ReturnType<typeof simulate> | undefined {
  try {
    return simulate(plan, plan.policy, plan.maxConcurrency);
  } catch {
    return undefined;
  }
}

function scheduleText(simulated: number | null, bound: number, plan: Plan): string {
  const lower = `lower bound ${formatDuration(bound)}`;
  if (simulated === null) return lower;
  // The simulation cannot test conditions: it plays the run in which every one holds.
  const conditions = plan.tasks.some((t) => t.when !== undefined) ? ' if every when holds' : '';
  return `schedule ${formatDuration(simulated)} (${plan.policy})${conditions}, ${lower}, ${(simulated / Math.max(1, bound)).toFixed(3)}x`;
}

function executionCounts(plan: Plan): { inline: number; child: number } {
  const inline = plan.tasks.filter(
    (t) => !t.map && executionOf(t, t.execution ?? plan.defaults.execution ?? 'auto') === 'inline',
  ).length;
  return { inline, child: plan.tasks.length - inline };
}
