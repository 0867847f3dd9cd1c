import type { Step } from './plan';
import { resolveString, resolveValue, templatesIn, type TemplateContext } from './template';

/**
 * Where templates go in each step type, in one place for both sides: `validate` lists them and
 * the activity running a step resolves them. Argv elements, cwd, env values, URLs, headers and
 * prompts are strings; an http body and activity input keep the type of a whole-field template.
 */

/** The template-bearing fields of a step, as `{ field: value }`. */
function templated(step: Step): Record<string, unknown> {
  switch (step.type) {
    case 'shell':
      return { command: step.command, cwd: step.cwd, env: step.env };
    case 'http':
      return { url: step.url, headers: step.headers, body: step.body };
    case 'browser':
      return { url: step.url, waitFor: step.waitFor, extract: step.extract };
    case 'llm':
      return { prompt: step.prompt, system: step.system };
    case 'activity':
      return { input: step.input };
    case 'agent':
      return { prompt: step.prompt, cwd: step.cwd, env: step.env, args: step.args };
    case 'sleep':
      return {};
  }
}

/** Every template of a step, with the field it is in (`command[1]`, `body.user.id`...). */
export function stepTemplates(step: Step): Array<{ where: string; text: string }> {
  return templatesIn(templated(step));
}

/** A step with its templates resolved. Throws TemplateError naming the template that failed. */
export function resolveStep<S extends Step>(step: S, ctx: TemplateContext): S {
  const str = (s: string | undefined) => (s === undefined ? undefined : resolveString(s, ctx));
  const record = (r: Record<string, string> | undefined) =>
    r && Object.fromEntries(Object.entries(r).map(([k, v]) => [k, resolveString(v, ctx)]));
  switch (step.type) {
    case 'shell':
      return {
        ...step,
        command: step.command.map((c) => resolveString(c, ctx)),
        cwd: str(step.cwd),
        env: record(step.env),
      };
    case 'http':
      return {
        ...step,
        url: resolveString(step.url, ctx),
        headers: record(step.headers),
        body: resolveValue(step.body, ctx),
      };
    case 'browser':
      return { ...step, url: resolveString(step.url, ctx), waitFor: str(step.waitFor), extract: record(step.extract) };
    case 'llm':
      return { ...step, prompt: resolveString(step.prompt, ctx), system: str(step.system) };
    case 'activity':
      return { ...step, input: resolveValue(step.input, ctx) };
    case 'agent':
      return {
        ...step,
        prompt: resolveString(step.prompt, ctx),
        cwd: str(step.cwd),
        env: record(step.env),
        args: step.args?.map((a) => resolveString(a, ctx)),
      };
    case 'sleep':
      return step;
  }
  return step;
}
