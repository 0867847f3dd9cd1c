#!/usr/bin/env node
/* global process, setTimeout */
// A stand-in for the `claude` and `codex` CLIs, for the demo and the tests: it behaves like them
// where ptq can tell (argv, working directory, output format, exit codes, cost fields), without a
// model. It does what the prompt's directive lines say, one per line:
//   @write PATH TEXT    write a file (in the working directory, the task's worktree)
//   @append PATH TEXT   append a line to a file
//   @sleep MS           take its time
//   @fail REASON        end with an error result (is_error / turn.failed)
//   @crash CODE         exit with CODE and no report
//   @cost USD           claude: the total_cost_usd it reports (default 0.01 per task)
//   @log FILE           append {pid, cwd, start, end, prompt} as a JSON line to FILE when done
//   @pidfile FILE       write its pid and PID namespace to FILE (a step runs in a namespace of its own)
// Without directives it takes a second, then appends "TASK: title" to the first file the prompt
// names ("Files: a, b" or "... in src/x.ts"), or to notes/TASK.md: real commits, real conflicts.
import { appendFileSync, mkdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';

const argv = process.argv.slice(2);
const prompt = argv.at(-1) ?? '';
const name = basename(process.argv[1]);
const codex = name.startsWith('codex') || argv[0] === 'exec';
const start = Date.now();
let cost = 0.01;
let failure;
let log;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const write = (path, text, append) => {
  mkdirSync(dirname(path), { recursive: true });
  (append ? appendFileSync : writeFileSync)(path, `${text}\n`);
};

const directives = prompt
  .split('\n')
  .map((l) => l.trim().replace(/^[-*]\s+/, ''))
  .filter((l) => l.startsWith('@'));
for (const line of directives) {
  const [verb, arg = '', ...rest] = line.slice(1).split(' ');
  if (verb === 'write' || verb === 'append') write(arg, rest.join(' '), verb === 'append');
  else if (verb === 'sleep') await sleep(Number(arg));
  else if (verb === 'fail') failure = [arg, ...rest].join(' ');
  else if (verb === 'crash') process.exit(Number(arg));
  else if (verb === 'cost') cost = Number(arg);
  else if (verb === 'log') log = arg;
  else if (verb === 'pidfile') writeFileSync(arg, `${process.pid} ${readlinkSync('/proc/self/ns/pid')}`);
}
if (!directives.some((l) => /^@(write|append|fail)/.test(l))) {
  await sleep(1000); // a real agent takes its time: enough to see them run side by side
  const [, task = 'task', title = ''] = /^Task (\S+): (.*)$/m.exec(prompt) ?? [];
  const named = /^Files: ([^,\n]+)/m.exec(prompt)?.[1] ?? / in `?([\w.-]+(?:\/[\w.-]+)+\.\w+)/.exec(prompt)?.[1];
  write(named ?? `notes/${task}.md`, `${task}: ${title}`, true);
}
if (log)
  appendFileSync(
    log,
    `${JSON.stringify({ pid: process.pid, cwd: process.cwd(), start, end: Date.now(), argv, prompt })}\n`,
  );

const tokens = { input: 1000 + prompt.length, output: 200 };
const answer = failure ? '' : `done: ${prompt.split('\n')[0]}`;
if (codex) {
  const events = [
    { type: 'thread.started', thread_id: `stand-in-${process.pid}` },
    { type: 'turn.started' },
    failure
      ? { type: 'turn.failed', error: { message: failure } }
      : { type: 'item.completed', item: { id: 'item_0', type: 'agent_message', text: answer } },
    ...(failure
      ? []
      : [
          {
            type: 'turn.completed',
            usage: { input_tokens: tokens.input, cached_input_tokens: 0, output_tokens: tokens.output },
          },
        ]),
  ];
  for (const e of events) process.stdout.write(`${JSON.stringify(e)}\n`);
  process.exit(failure ? 1 : 0);
}
process.stdout.write(
  `${JSON.stringify({
    type: 'result',
    subtype: failure ? 'error_during_execution' : 'success',
    is_error: Boolean(failure),
    duration_ms: Date.now() - start,
    num_turns: 3,
    result: failure ?? answer,
    session_id: `stand-in-${process.pid}`,
    total_cost_usd: cost,
    usage: {
      input_tokens: tokens.input,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: tokens.output,
    },
  })}\n`,
);
process.exit(failure ? 1 : 0);
