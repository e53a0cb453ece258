// `mt4gw config validate|show|init|schema`: check agents.yml listing every problem, show the
// resolved configuration with where each value came from (tokens redacted), write a commented
// starting file, and print the JSON Schema editors use. None of them talks to a bridge.
import { defineCommand, type ArgsOf, type OptionsOf } from './define.js';

const validateOptions = [
  { flags: '--no-tokens', description: 'do not check that every token resolves (e.g. in CI, where the secrets are not set)' },
] as const;
export type ValidateOptions = OptionsOf<typeof validateOptions>;

const showArgs = [{ name: '[agents...]', description: 'agent ids (default: every agent)' }] as const;
export type ShowArgs = ArgsOf<typeof showArgs>;

const initArgs = [
  { name: '[file]', description: 'where to write it (default: --config, else $XDG_CONFIG_HOME/mt4gw/agents.yml)' },
] as const;
const initOptions = [
  { flags: '--force', description: 'overwrite an existing file' },
  {
    flags: '--schema <ref>',
    description: 'path or URL for the yaml-language-server $schema line (default: the installed agents.schema.json)',
  },
  { flags: '--no-schema', description: 'leave the $schema line out' },
] as const;
export type InitArgs = ArgsOf<typeof initArgs>;
export type InitOptions = OptionsOf<typeof initOptions>;

export const config = defineCommand({
  name: 'config',
  description: 'agents.yml tools: validate, show (with where each value came from), init, schema',
  examples: ['mt4gw config validate', 'mt4gw config show agent_1', 'mt4gw config init', 'mt4gw config schema > agents.schema.json'],
  help: '\nNone of these talks to a bridge. docs/configuration.md describes every key.\n',
  subcommands: [
    defineCommand({
      name: 'validate',
      description: 'check agents.yml and list every problem (exit 0 when valid, 2 otherwise)',
      options: validateOptions,
      examples: ['mt4gw config validate', 'mt4gw --config staging.yml config validate --no-tokens', 'mt4gw config validate --json'],
      handler: async () => (await import('./handlers/config.js')).validate,
    }),
    defineCommand({
      name: 'show',
      description: 'the resolved configuration, tokens redacted, and where each value came from (file, defaults, environment, flag)',
      args: showArgs,
      examples: ['mt4gw config show', 'mt4gw config show agent_2', 'mt4gw --timeout 3s config show --json'],
      handler: async () => (await import('./handlers/config.js')).show,
    }),
    defineCommand({
      name: 'init',
      description: 'write a commented agents.yml to start from (never overwrites without --force)',
      args: initArgs,
      options: initOptions,
      examples: ['mt4gw config init', 'mt4gw config init ./agents.yml', 'mt4gw config init ~/.config/mt4gw/agents.yml --force'],
      handler: async () => (await import('./handlers/config.js')).init,
    }),
    defineCommand({
      name: 'schema',
      description: 'print the JSON Schema of agents.yml (generated from the validator) for editors',
      examples: ['mt4gw config schema > agents.schema.json'],
      help: '\nThen start agents.yml with:  # yaml-language-server: $schema=./agents.schema.json\n',
      globalFlags: 'none',
      handler: async () => (await import('./handlers/config.js')).schema,
    }),
  ],
});
