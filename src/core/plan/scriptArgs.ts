import { templatesIn } from './template';

/**
 * Where an argv hands a string to an interpreter as code: the script of `sh -c SCRIPT`, `bash -lc`,
 * `env bash -c`, `/bin/sh -ec`, `node -e` / `--eval`, `python3 -c`, `perl -e`, `ruby -e`. A template
 * spliced into such a string is parsed as code when the step runs, so a value like `x; rm -rf ~`
 * runs as a command: the one place where "values are data, never re-parsed" does not hold. The
 * interpreter is looked for anywhere in the argv, so wrappers (`env`, `timeout 10`, `docker exec c`)
 * do not hide it.
 */

/** How a script reads a value passed in its environment. */
export type Interpreter = 'shell' | 'node' | 'python' | 'perl' | 'ruby';

/** The argv element that holds inline code, and what will parse it. */
export interface ScriptArg {
  index: number;
  /** The program as written, e.g. "bash" or "/usr/bin/python3". */
  program: string;
  /** The flag that makes it code, e.g. "-c" or "--eval". */
  flag: string;
  interpreter: Interpreter;
}

const INTERPRETERS: Array<[RegExp, Interpreter]> = [
  [/^(sh|bash|zsh|dash|ksh|mksh|ash|fish)$/, 'shell'],
  [/^(node|nodejs|bun)$/, 'node'],
  [/^(python|pypy)(\d+(\.\d+)?)?$/, 'python'],
  [/^perl(\d+(\.\d+)*)?$/, 'perl'],
  [/^ruby(\d+(\.\d+)*)?$/, 'ruby'],
];

/** A flag and the index of the code it introduces, or undefined: the interpreter runs a file. */
type Grammar = (argv: readonly string[], from: number) => { index: number; flag: string } | undefined;

const GRAMMARS: Record<Interpreter, Grammar> = {
  // POSIX: `sh -c [options] SCRIPT [name [args]]`; the script is the first operand after the options.
  shell(argv, from) {
    let flag: string | undefined;
    let j = from;
    while (j < argv.length) {
      const a = argv[j];
      if (a === '--' || a === '-') {
        j++;
        break;
      }
      if (/^[-+][A-Za-z]+$/.test(a)) {
        if (a.startsWith('-') && a.includes('c')) flag = a;
        j += /[oO]/.test(a) ? 2 : 1; // -o pipefail, -O extglob: the option name follows
      } else if (/^--(rcfile|init-file)$/.test(a)) j += 2;
      else if (a === '--command') {
        flag = a; // fish
        j++;
      } else if (a.startsWith('--')) j++;
      else break;
    }
    return flag && j < argv.length ? { index: j, flag } : undefined;
  },
  node(argv, from) {
    for (let j = from; j < argv.length; j++) {
      const a = argv[j];
      if (/^(-e|-p|-pe|-ep|--eval|--print)$/.test(a))
        return j + 1 < argv.length ? { index: j + 1, flag: a } : undefined;
      if (/^--(eval|print)=/.test(a)) return { index: j, flag: a.slice(0, a.indexOf('=')) };
      if (/^(-r|-C|--require|--import|--loader|--experimental-loader|--conditions|--input-type)$/.test(a)) j++;
      else if (!a.startsWith('-') || a === '--') return undefined;
    }
    return undefined;
  },
  // `python -c SCRIPT` ends the options; `-uc SCRIPT` and `-cSCRIPT` work too.
  python(argv, from) {
    for (let j = from; j < argv.length; j++) {
      const a = argv[j];
      const m = /^-([A-Za-z]+)/.exec(a);
      if (!m || a === '--') return undefined;
      const letters = m[1];
      const c = letters.search(/[cmWX]/);
      if (c < 0) continue;
      if (letters[c] === 'm') return undefined; // a module runs; the rest is its argv
      if (letters[c] !== 'c') {
        if (c === a.length - 2) j++; // -W arg, -X opt
        continue;
      }
      if (c < letters.length - 1) return { index: j, flag: '-c' };
      return j + 1 < argv.length ? { index: j + 1, flag: '-c' } : undefined;
    }
    return undefined;
  },
  perl: dashE,
  ruby: dashE,
};

/** `perl -e CODE`, `perl -lne CODE`, `ruby -e CODE`: a cluster that ends in e (or E). */
function dashE(argv: readonly string[], from: number): { index: number; flag: string } | undefined {
  for (let j = from; j < argv.length; j++) {
    const a = argv[j];
    if (/^-[A-Za-z]*[eE]$/.test(a)) return j + 1 < argv.length ? { index: j + 1, flag: a } : undefined;
    if (!a.startsWith('-') || a === '--') return undefined;
  }
  return undefined;
}

/** The argv element that an interpreter will parse as code, if there is one. */
export function scriptArg(argv: readonly string[]): ScriptArg | undefined {
  for (let i = 0; i < argv.length; i++) {
    const program = argv[i];
    const name = program.slice(program.lastIndexOf('/') + 1);
    const interpreter = INTERPRETERS.find(([pattern]) => pattern.test(name))?.[1];
    if (!interpreter) continue;
    const found = GRAMMARS[interpreter](argv, i + 1);
    // An interpreter that runs a file gets the rest as that file's arguments: plain data.
    return found && { ...found, program: name, interpreter };
  }
  return undefined;
}

/** How the script should read an environment variable instead: `"$NAME"`, `process.env.NAME`... */
export function envReadIn(interpreter: Interpreter, name: string): string {
  switch (interpreter) {
    case 'shell':
      return `"$${name}"`;
    case 'node':
      return `process.env.${name}`;
    case 'python':
      return `os.environ["${name}"]`;
    case 'perl':
      return `$ENV{${name}}`;
    case 'ruby':
      return `ENV["${name}"]`;
  }
}

/**
 * A template inside an argv's inline code, as one line that shows the safe form; undefined when
 * there is none. `field` names the argv (`run.command`); `withEnv` says whether the step has `env`
 * (a shell step does, a map's item command does not).
 */
export function scriptTemplateProblem(argv: readonly string[], field: string, withEnv: boolean): string | undefined {
  const script = scriptArg(argv);
  const ref = script && templatesIn(argv[script.index])[0]?.text;
  if (!script || ref === undefined) return undefined;
  const head =
    `${field}[${script.index}]: {{${ref}}} is inside the code of ${script.program} ${script.flag}, ` +
    'which parses the value as code (a value like "x; rm -rf ~" would run)';
  if (!withEnv)
    return `${head}: pass the value as an argument of its own after the code, e.g. ["sh", "-c", "echo \\"$1\\"", "sh", "{{${ref}}}"]`;
  const name = envName(ref);
  return (
    `${head}: pass it in env ("env": {"${name}": "{{${ref}}}"}) and write ${envReadIn(script.interpreter, name)} ` +
    'in the code, or set "unsafeShellTemplates": true on the step'
  );
}

/** `params.name` -> NAME, `tasks.extract.json.files[0]` -> FILES: a variable name for a reference. */
function envName(ref: string): string {
  const last = ref.match(/[A-Za-z_][A-Za-z0-9_]*/g)?.at(-1) ?? 'VALUE';
  return last.toUpperCase();
}
