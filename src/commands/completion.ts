import { defineCommand, type ArgsOf } from './define.js';

/** The shells `mt4gw completion` writes a script for. */
export const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];

const args = [{ name: '<shell>', description: 'bash or zsh' }] as const;
export type CompletionArgs = ArgsOf<typeof args>;

export const completion = defineCommand({
  name: 'completion',
  description: "print a shell completion script (subcommands, flags, agent ids, an agent's symbols)",
  args,
  examples: [
    'source <(mt4gw completion bash)          # in ~/.bashrc',
    'source <(mt4gw completion zsh)           # in ~/.zshrc, after compinit',
    'mt4gw completion bash > ~/.local/share/bash-completion/completions/mt4gw',
    'mt4gw completion zsh > "${fpath[1]}/_mt4gw"',
  ],
  help: '\nAgent ids and symbols come from the config mt4gw would use (--config on the line counts).\n',
  globalFlags: 'none',
  handler: async () => (await import('./handlers/completion.js')).completion,
});
