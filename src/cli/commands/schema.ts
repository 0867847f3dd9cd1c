import { Command } from 'commander';
import { planJsonSchema } from '../../core';
import { action, printJson } from '../common';

/** `ptq schema`: the plan's JSON Schema, generated from the zod schema, for editors. */
export function schemaCommand(): Command {
  return new Command('schema')
    .description("print the plan's JSON Schema")
    .addHelpText(
      'after',
      '\nExample:\n  ptq schema > plan.schema.json   # then "$schema": "./plan.schema.json" in your plan',
    )
    .action(action(async () => printJson(planJsonSchema())));
}
