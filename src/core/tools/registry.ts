import { z } from 'zod';

/*
 * The tools an `llm` step may give its model, one entry each: what the model reads about it, the
 * input it must send (a small zod schema: the model gets its JSON Schema, and its calls are parsed
 * with it), what the plan may set for it, and the one line that names a call in the Web UI. The
 * code that runs a call is in activities/tools, keyed by the same names, so the compiler asks for
 * it when a tool is added here.
 */

/** One tool: a plain name in a plan (`tools: [http]`), or `{name: setting}` when it has a setting. */
export interface ToolDef<I, S> {
  /** What the model reads about the tool, given the plan's setting. */
  describe: (setting: S) => string;
  /** The input the model sends. Small and fixed: the model fills it, the tool checks nothing else. */
  input: z.ZodType<I>;
  /** What a plan sets for the tool (shell: the programs it may run); undefined when it sets nothing. */
  setting?: z.ZodType<S>;
  /** Why the setting forbids this call (shell: a program not in `allow`), or undefined. */
  refuse?: (input: I, setting: S) => string | undefined;
  /** A call in one line, after `tool NAME `, for the activity's summary in the Web UI. */
  summary: (input: I) => string;
}

const HttpToolInput = z
  .object({
    url: z
      .string()
      .refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), 'expected an http:// or https:// URL')
      .describe('http:// or https:// URL'),
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']).optional().describe('Default GET.'),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.string().optional(),
  })
  .strict();

const BrowserToolInput = z
  .object({
    url: HttpToolInput.shape.url,
    extract: z
      .record(z.string(), z.string().min(1))
      .optional()
      .describe(
        'name: "title", "status", "url", a CSS selector (its text), "selector@attr"; "[]" at the end for all matches. Default {title: "title"}.',
      ),
  })
  .strict();

const ShellToolInput = z
  .object({
    argv: z
      .array(z.string())
      .min(1)
      .describe('The program and its arguments. No shell: quotes, pipes and $VARS are plain text.'),
  })
  .strict();

const ShellSetting = z
  .object({
    allow: z
      .array(z.string().regex(/^[^/\s]+$/, 'a program name without a path, e.g. curl'))
      .min(1, 'name at least one program the model may run, e.g. {shell: {allow: [curl, jq]}}'),
  })
  .strict();

/** Keeps the entries' own types while checking their shape. */
const tool = <I, S = undefined>(def: ToolDef<I, S>) => def;

/** Every tool, by the name plans and models use. */
export const TOOLS = {
  http: tool({
    describe: () =>
      'Sends an HTTP request and returns {status, body}, the body cut to a size. Link-local and cloud metadata addresses are refused.',
    input: HttpToolInput,
    summary: (i) => `${i.method ?? 'GET'} ${i.url}`,
  }),
  browser: tool({
    describe: () =>
      'Loads a page in a headless browser (its JavaScript runs) and returns the extracted fields with status and finalUrl. Link-local and cloud metadata addresses are refused.',
    input: BrowserToolInput,
    summary: (i) => i.url,
  }),
  shell: tool({
    describe: (s: z.infer<typeof ShellSetting>) =>
      `Runs a program with arguments (argv, no shell) and returns {exitCode, output}. Allowed programs: ${s.allow.join(', ')}.`,
    input: ShellToolInput,
    setting: ShellSetting,
    refuse: (i, s) =>
      s.allow.includes(i.argv[0]) ? undefined : `program "${i.argv[0]}" is not allowed: use ${s.allow.join(', ')}`,
    summary: (i) => i.argv.join(' '),
  }),
};

export type ToolName = keyof typeof TOOLS;
export const TOOL_NAMES = Object.keys(TOOLS) as ToolName[];

/** The input a tool's model call sends. */
export type ToolInput<N extends ToolName> = z.infer<(typeof TOOLS)[N]['input']>;
/** What a plan sets for a tool (undefined for a tool named alone). */
export type ToolSetting<N extends ToolName> = (typeof TOOLS)[N] extends { setting: z.ZodType<infer S> } ? S : undefined;

/** A tool as a step gives it: its name and the plan's setting. */
export interface ToolUse {
  name: ToolName;
  setting?: unknown;
}

function isToolName(name: string): name is ToolName {
  return Object.hasOwn(TOOLS, name);
}

/** An entry of a step's `tools`: `http`, or `{shell: {allow: [curl, jq]}}`. */
export const ToolSpec = z
  .union([z.string(), z.record(z.string(), z.unknown())], {
    error: `expected a tool name (${TOOL_NAMES.join(', ')}) or {name: setting}`,
  })
  .superRefine((spec, ctx) => {
    const problem = toolProblem(spec);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
export type ToolSpec = z.infer<typeof ToolSpec>;

/** Why an entry of `tools` is not a tool, or undefined. */
function toolProblem(spec: string | Record<string, unknown>): string | undefined {
  const entries = typeof spec === 'string' ? [[spec, undefined] as const] : Object.entries(spec);
  if (entries.length !== 1) return 'a tool is one name, or one {name: setting}';
  const [name, setting] = entries[0];
  if (!isToolName(name)) return `unknown tool "${name}": use ${TOOL_NAMES.join(', ')}`;
  const schema = (TOOLS[name] as ToolDef<unknown, unknown>).setting;
  if (!schema) return setting === undefined ? undefined : `tool ${name} takes no setting: write it as "${name}"`;
  if (setting === undefined) return `tool ${name} needs a setting, e.g. {${name}: {allow: [curl]}}`;
  const parsed = schema.safeParse(setting);
  return parsed.success ? undefined : `tool ${name}: ${parsed.error.issues.map((i) => i.message).join('; ')}`;
}

/** A step's `tools` as name and setting; the plan schema has already checked them. */
export function toolUses(specs: ToolSpec[] = []): ToolUse[] {
  return specs.map((spec) => {
    const [name, setting] = typeof spec === 'string' ? [spec, undefined] : Object.entries(spec)[0];
    return { name: name as ToolName, setting };
  });
}

/**
 * A model's call checked against the step's tools: the parsed input and the line that names it,
 * or why it cannot run (a tool the step does not give, an input that does not fit).
 */
export function checkCall(
  uses: ToolUse[],
  name: string,
  input: unknown,
): { ok: true; input: unknown; summary: string } | { ok: false; problem: string } {
  const use = uses.find((u) => u.name === name);
  if (!use) return { ok: false, problem: `no tool "${name}" here: use ${uses.map((u) => u.name).join(', ')}` };
  const def = TOOLS[use.name] as ToolDef<unknown, unknown>;
  const parsed = def.input.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`);
    return { ok: false, problem: `bad input for ${name}: ${issues.join('; ')}` };
  }
  const refused = def.refuse?.(parsed.data, use.setting);
  if (refused) return { ok: false, problem: refused };
  return { ok: true, input: parsed.data, summary: shorten(`tool ${name} ${def.summary(parsed.data)}`) };
}

function shorten(text: string, max = 120): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** What the model is told about a tool: its description and the JSON Schema of its input, from the zod schema. */
export function toolForModel(use: ToolUse): { description: string; parameters: Record<string, unknown> } {
  const def = TOOLS[use.name] as ToolDef<unknown, unknown>;
  const parameters: Record<string, unknown> = z.toJSONSchema(def.input, { io: 'input', unrepresentable: 'any' });
  delete parameters.$schema;
  return { description: def.describe(use.setting), parameters };
}
