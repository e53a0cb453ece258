import { defineCommand } from './define.js';

export const agents = defineCommand({
  name: 'agents',
  description: 'list the configured agents (reads agents.yml only; no network)',
  examples: ['mt4gw agents', 'mt4gw agents --json | jq -r ".[].id"'],
  handler: async () => (await import('./handlers/agents.js')).agents,
});
