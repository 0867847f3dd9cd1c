import { Command } from 'commander';
import { PtqError } from '../../errors';
import { action } from '../common';

/** Every command path (`schedule create`...) with its long options, read from the program itself. */
function commandTable(root: Command): Array<{ path: string[]; options: string[] }> {
  const rows: Array<{ path: string[]; options: string[] }> = [];
  const walk = (cmd: Command, path: string[]) => {
    for (const sub of cmd.commands) {
      const here = [...path, sub.name()];
      rows.push({ path: here, options: [...sub.options.map((o) => o.long).filter((l): l is string => !!l), '--help'] });
      walk(sub, here);
    }
  };
  walk(root, []);
  return rows;
}

/**
 * Completion scripts for bash, zsh (through bashcompinit) and fish, generated from the command
 * tree, so a new command or option completes without editing a script by hand.
 */
export function completionScript(root: Command, shell: string): string {
  const rows = commandTable(root);
  const top = rows.filter((r) => r.path.length === 1).map((r) => r.path[0]);
  const children = (path: string[]) =>
    rows
      .filter((r) => r.path.length === path.length + 1 && path.every((p, i) => r.path[i] === p))
      .map((r) => r.path.at(-1));
  if (shell === 'fish') {
    const lines = [`complete -c ptq -f -n '__fish_use_subcommand' -a '${top.join(' ')}'`];
    for (const r of rows) {
      const words = r.path.map((p) => `__fish_seen_subcommand_from ${p}`).join('; and ');
      const subs = children(r.path);
      if (subs.length) lines.push(`complete -c ptq -f -n '${words}' -a '${subs.join(' ')}'`);
      for (const o of r.options) lines.push(`complete -c ptq -n '${words}' -l ${o.slice(2)}`);
    }
    return `${lines.join('\n')}\n`;
  }
  if (shell !== 'bash' && shell !== 'zsh') throw new PtqError(`unknown shell "${shell}": use bash, zsh or fish`);
  const cases = rows
    .map((r) => `    "${r.path.join(' ')}") words="${[...children(r.path), ...r.options].join(' ')}" ;;`)
    .join('\n');
  return `${shell === 'zsh' ? 'autoload -U +X bashcompinit && bashcompinit\n' : ''}_ptq() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" word words
  for word in "\${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    case "$word" in -*) ;; *) path="\${path:+$path }$word" ;; esac
  done
  case "$path" in
    "") words="${top.join(' ')} --help --version" ;;
${cases}
    *) words="" ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _ptq ptq
`;
}

/** `ptq completion bash|zsh|fish`. */
export function completionCommand(root: () => Command): Command {
  return new Command('completion')
    .description('print a shell completion script')
    .argument('<shell>', 'bash, zsh or fish')
    .addHelpText(
      'after',
      '\nExamples:\n  source <(ptq completion bash)          # in ~/.bashrc\n  ptq completion zsh > ~/.zfunc/_ptq\n  ptq completion fish > ~/.config/fish/completions/ptq.fish',
    )
    .action(
      action(async (shell: string) => {
        process.stdout.write(completionScript(root(), shell));
      }),
    );
}
