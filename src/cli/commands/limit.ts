import { Command, InvalidArgumentError } from 'commander';
import { burstProblem, formatRate, LIMIT_NAME, parseRate } from '../../core/plan/rates';
import { ExitCode, PtqError } from '../../errors';
import { LimitStore, type LimitDefinition, type LimitStatus } from '../../temporal/limits';
import { connectionSettings, type ConnectionFlags } from '../../temporal/connection';
import { action, clientFor, printJson, withConnection } from '../common';

/** A rate flag ("20/s", "600/m") in requests per second. */
function rateOption(text: string): number {
  const rate = parseRate(text);
  if (rate === undefined) throw new InvalidArgumentError('use a rate like 20/s, 600/m or 10000/h');
  return rate;
}

function nameArgument(name: string): string {
  if (!LIMIT_NAME.test(name))
    throw new InvalidArgumentError('start with a letter; use letters, digits, "_" and "-" (at most 63)');
  return name;
}

async function storeFor(flags: ConnectionFlags): Promise<LimitStore> {
  const client = await clientFor(flags);
  return new LimitStore(client.workflowService, connectionSettings(flags).namespace);
}

type LimitSetFlags = ConnectionFlags & { rate: number; perKey?: number; adaptive?: boolean; burst?: number };

/** A whole number flag. */
function countOption(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('use a whole number from 1');
  return n;
}

/** `ptq limit set|list|delete`: named rate limits, shared by every run and worker of the namespace. */
export function limitCommand(): Command {
  const limit = new Command('limit').description(
    'named rate limits: steps with `rateLimit: NAME` start at most this often, across every run and worker',
  );
  limit.addCommand(
    withConnection(new Command('set'))
      .description('create a limit or change it live (running steps feel it within a second or two)')
      .argument('<name>', 'limit name, as plans write it in rateLimit', nameArgument)
      .requiredOption('--rate <rate>', 'steps started per second, minute or hour: 20/s, 600/m, 10000/h', rateOption)
      .option('--per-key <rate>', "each rateKey's own rate, within --rate", rateOption)
      .option('--adaptive', '--rate is a ceiling: back off on 429/503, probe back up while they stop')
      .option('--burst <n>', 'steps a worker may start at once above the rate (default 1: evenly spaced)', countOption)
      .addHelpText(
        'after',
        '\nExamples:\n  ptq limit set api --rate 20/s\n  ptq limit set api --rate 20/s --burst 5\n  ptq limit set search --rate 100/s --per-key 10/s\n  ptq limit set llm --rate 200/s --adaptive',
      )
      .action(
        action(async (name: string, flags: LimitSetFlags) => {
          if (flags.perKey !== undefined && flags.perKey > flags.rate)
            throw new PtqError(`--per-key ${formatRate(flags.perKey)} is above --rate ${formatRate(flags.rate)}`);
          const burst = flags.burst === undefined ? undefined : burstProblem(flags.burst, flags.rate);
          if (burst) throw new PtqError(`--${burst}`);
          const limit: LimitDefinition = {
            rate: flags.rate,
            ...(flags.perKey !== undefined ? { perKey: flags.perKey } : {}),
            ...(flags.adaptive ? { adaptive: true } : {}),
            ...(flags.burst !== undefined ? { burst: flags.burst } : {}),
          };
          const store = await storeFor(flags);
          await store.set(name, limit);
          process.stdout.write(`limit ${name}: ${describe(limit)}\n`);
        }),
      ),
  );
  limit.addCommand(
    withConnection(new Command('list'))
      .description('every limit: its rate, where an adaptive one is now, and how many steps wait on it')
      .option('--json', 'print JSON')
      .addHelpText('after', '\nExamples:\n  ptq limit list\n  ptq limit list --json')
      .action(
        action(async (flags: ConnectionFlags & { json?: boolean }) => {
          const store = await storeFor(flags);
          const definitions = await store.definitions();
          const limits = await Promise.all(Object.entries(definitions).map(([n, d]) => store.status(n, d)));
          limits.sort((a, b) => a.name.localeCompare(b.name));
          if (flags.json) return printJson(limits);
          if (limits.length === 0)
            return void process.stdout.write('no limits: create one with `ptq limit set NAME --rate 20/s`\n');
          for (const l of limits) process.stdout.write(`${listLine(l)}\n`);
        }),
      ),
  );
  limit.addCommand(
    withConnection(new Command('delete'))
      .description('remove a limit: its steps no longer wait, and workers stop polling its queue')
      .argument('<name>', 'limit name', nameArgument)
      .addHelpText('after', '\nExample:\n  ptq limit delete api')
      .action(
        action(async (name: string, flags: ConnectionFlags) => {
          const store = await storeFor(flags);
          if (!(await store.delete(name)))
            throw new PtqError(`no limit "${name}"`, ExitCode.usage, 'see `ptq limit list`');
          process.stdout.write(`limit ${name} deleted\n`);
        }),
      ),
  );
  return limit;
}

function describe(l: LimitDefinition): string {
  const perKey = l.perKey === undefined ? '' : `, ${formatRate(l.perKey)} per key`;
  const burst = l.burst === undefined ? '' : `, burst ${l.burst}`;
  return `${formatRate(l.rate)}${perKey}${burst}${l.adaptive ? ' (adaptive ceiling)' : ''}`;
}

function listLine(l: LimitStatus): string {
  const now = l.adaptive && l.current !== undefined ? `, now ${formatRate(l.current)} (${l.reason ?? 'start'})` : '';
  return `${l.name}  ${describe(l)}${now}, ${l.waiting} waiting`;
}
