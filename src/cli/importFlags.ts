import { Command, Option } from 'commander';
import type { ImportFlags } from '../planFile';

/**
 * Flags for reading a task list from another tool as a plan: on `ptq import`, and on every command
 * that takes a plan file (a TaskMaster tasks.json, a spec-kit tasks.md or a [P:Group-X] list is
 * detected by its name and content).
 */
export function withImportFlags(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--agent <agent>', 'imported task lists: the agent each task runs').choices(['claude', 'codex']),
    )
    .option(
      '--step-template <file>',
      'imported task lists: a step (JSON/YAML) with {{import.title}}, {{import.prompt}}...',
    )
    .option('--base <file>', 'imported task lists: plan settings to run them under (workspace, maxConcurrency...)')
    .option('--tag <tag>', 'TaskMaster: the tag to import (default master)')
    .option('--include-done', 'imported task lists: keep tasks marked done');
}

/** The import flags of a command, with warnings going to stderr. */
export function importFlagsOf(flags: ImportFlags): ImportFlags {
  const { tag, includeDone, agent, stepTemplate, base, syncStatus } = flags;
  return {
    tag,
    includeDone,
    agent,
    stepTemplate,
    base,
    syncStatus,
    onWarning: (w) => process.stderr.write(`warning: ${w}\n`),
  };
}
