// `mt4gw completion bash|zsh`: the script a shell sources. On TAB it runs the hidden
// `mt4gw __complete -- <words…>` (src/cli.ts, answered by src/commands/complete.ts).
import { UsageError } from '../../errors.js';
import { FILES } from '../complete.js';
import { type CompletionArgs, SHELLS, type Shell } from '../completion.js';
import type { Context } from '../context.js';

export function completion(args: CompletionArgs, _options: unknown, ctx: Context): void {
  const shell = args.shell;
  if (!(SHELLS as readonly string[]).includes(shell)) {
    throw new UsageError(`no completion for the shell ${JSON.stringify(shell)}`, { hint: `Choose one of: ${SHELLS.join(', ')}.` });
  }
  ctx.write(script(shell as Shell));
}

export function script(shell: Shell): string {
  if (shell === 'bash') {
    return `# mt4gw bash completion. Install: add to ~/.bashrc
#   source <(mt4gw completion bash)
_mt4gw_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" out
  local IFS=$'\\n'
  out=$("\${COMP_WORDS[0]}" __complete -- "\${COMP_WORDS[@]:0:COMP_CWORD+1}" 2>/dev/null) || return 0
  if [[ "$out" == ${FILES}* ]]; then
    compopt -o filenames 2>/dev/null
    COMPREPLY=( $(compgen -f -- "$cur") )
    return 0
  fi
  COMPREPLY=( $(compgen -W "$out" -- "$cur") )
}
complete -o default -F _mt4gw_complete mt4gw
`;
  }
  return `#compdef mt4gw
# mt4gw zsh completion. Install: add to ~/.zshrc, after compinit
#   source <(mt4gw completion zsh)
# or save it as _mt4gw in a directory of $fpath.
_mt4gw() {
  local out
  out="$(\${words[1]} __complete -- "\${(@)words[1,CURRENT]}" 2>/dev/null)" || return 1
  if [[ "$out" == ${FILES}* ]]; then
    _files
    return
  fi
  [[ -z "$out" ]] && return 1
  local -a candidates
  candidates=("\${(@f)out}")
  compadd -- "\${candidates[@]}"
}
if [[ "\${funcstack[1]}" == "_mt4gw" ]]; then
  _mt4gw "$@"
else
  compdef _mt4gw mt4gw
fi
`;
}
