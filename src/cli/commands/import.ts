import { readFileSync, writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { stringify } from 'yaml';
import { importedPlan, type ImportFlags } from '../../planFile';
import { plural, validatePlan } from '../../core';
import { PlanError, PtqError } from '../../errors';
import { action } from '../common';
import { importFlagsOf, withImportFlags } from '../importFlags';

/** `ptq import FILE`: a TaskMaster, spec-kit or [P:Group-X] task list as a ptq plan. */
export function importCommand(): Command {
  return withImportFlags(new Command('import'))
    .description('convert a TaskMaster tasks.json, spec-kit tasks.md or [P:Group-X] markdown list into a plan')
    .argument('<file>', 'the task list')
    .option('-o, --output <file>', 'write the plan here (.json or .yaml) instead of stdout')
    .addHelpText(
      'after',
      '\nEach task runs an agent (claude by default) with its title, description, details and test strategy as the prompt.\n' +
        'Done tasks are left out; subtasks become tasks (12.3) whose parent completes when they do.\n\n' +
        'Examples:\n  ptq import .taskmaster/tasks/tasks.json -o plan.json\n  ptq import specs/001/tasks.md --agent codex --base workspace.yaml -o plan.yaml\n' +
        '  ptq start --plan specs/001/tasks.md --base workspace.yaml --watch   # import and run in one go',
    )
    .action(
      action(async (file: string, flags: ImportFlags & { output?: string }) => {
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch {
          throw new PlanError(file, ['file not found']);
        }
        const plan = importedPlan(file, text, importFlagsOf(flags));
        if (plan === undefined)
          throw new PtqError(
            `${file}: not a task list ptq can import`,
            undefined,
            'give a TaskMaster tasks.json, a spec-kit tasks.md, or a markdown list with [P:Group-X] markers',
          );
        const checked = validatePlan(plan);
        if (!checked.ok) throw new PlanError(file, checked.error);
        const out =
          flags.output && /\.ya?ml$/i.test(flags.output) ? stringify(plan) : `${JSON.stringify(plan, null, 2)}\n`;
        if (!flags.output) return void process.stdout.write(out);
        writeFileSync(flags.output, out);
        process.stderr.write(`wrote ${flags.output}: ${plural(checked.value.tasks.length, 'task')}\n`);
      }),
    );
}
