import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { buildGraph, formatDuration, plural } from '../../core';
import { ExitCode, PtqError } from '../../errors';
import { ModelCallError, planTasks } from '../../planner';
import { getPlan } from '../../client/control';
import { action, clientFor, withConnection } from '../common';
import { planRequest, withPlannerFlags, type RequirementsFlags } from '../requirements';

/** `ptq plan`: requirements in, a validated plan file out. Runs in-process; needs no server. */
export function planCommand(): Command {
  return withConnection(withPlannerFlags(new Command('plan')))
    .description(
      'turn written requirements into a plan file with an AI planner (no server needed); with a run id, print the plan of that run',
    )
    .argument('[run]', 'a run id: print the plan it runs, or waits to have approved')
    .option('-o, --output <file>', 'write the plan here (default: print it)')
    .option('--json', 'print the plan as JSON even when writing a file')
    .addHelpText(
      'after',
      '\nExamples:\n  ptq plan --requirements-file spec.md --budget 4 -o plan.json\n  ptq plan nightly-1   # the plan a run waits to have approved\n  OPENAI_API_KEY=... ptq plan --provider openai --model gpt-4o-mini --requirements "Build a todo app"\n  ptq plan --provider openai --base-url http://localhost:11434/v1 --model llama3.1 --requirements-file spec.md',
    )
    .action(
      action(async (run: string | undefined, flags: RequirementsFlags & { output?: string; json?: boolean }) => {
        if (run) return printRunPlan(run, flags);
        let plan;
        try {
          plan = await planTasks(planRequest(flags));
        } catch (err) {
          if (err instanceof ModelCallError) throw new PtqError(err.message, ExitCode.usage);
          throw err;
        }
        const text = `${JSON.stringify(plan, null, 2)}\n`;
        if (flags.output) writeFileSync(flags.output, text);
        if (!flags.output || flags.json) return void process.stdout.write(text);
        const g = buildGraph(plan);
        const m = plan.metadata;
        const cost = m?.usage?.costUsd;
        process.stdout.write(
          `wrote ${flags.output}: ${plural(plan.tasks.length, 'task')}, ${plural(g.levels, 'level')}, critical path ${formatDuration(g.criticalPathMs)}\n` +
            `planner: ${m?.planner}${m?.model ? ` (${m.model})` : ''}, complexity ${m?.complexity}` +
            `${m?.usage?.calls ? `, ${m.usage.calls} calls, ${m.usage.inputTokens + m.usage.outputTokens} tokens${cost != null ? `, ~$${cost.toFixed(4)}` : ''}` : ''}\n` +
            `${m?.reasoning ?? ''}\n`,
        );
      }),
    );
}

/** `ptq plan RUN`: the plan a run executes; for an AI-planned run, the plan the model made. */
async function printRunPlan(run: string, flags: { output?: string }): Promise<void> {
  const plan = await getPlan(await clientFor(flags), run);
  if (!plan) throw new PtqError(`run "${run}" is still planning: try again in a moment`, ExitCode.usage);
  const text = `${JSON.stringify(plan, null, 2)}\n`;
  if (flags.output) writeFileSync(flags.output, text);
  else process.stdout.write(text);
}
