// `mt4gw state [status]|migrate|import`: the desk store — where it is, whether it answers, its schema
// and who holds which lock; the desk database's schema brought up to date; a machine's local state
// brought into the database (docs/shared-desk.md). Never prints the database URL.
import { defineCommand } from './define.js';

const statusHelp = `
Exit 0 when the store answers; 3 when the desk database cannot be reached or used (the report is
printed all the same: nothing can be ordered until it answers).
`;

export const deskState = defineCommand({
  name: 'state',
  description: 'the desk store: local files, or PostgreSQL shared by several machines (status, migrate, import)',
  examples: ['mt4gw state', 'mt4gw state status --json', 'mt4gw state migrate', 'mt4gw state import'],
  help: `
Without MT4GW_STATE_URL (or a \`state:\` block in agents.yml) the desk's state is files in the
state directory, binding the mt4gw processes of one machine. With it, the halt, the per-agent
locks and the journal live in PostgreSQL and bind every machine of the desk (docs/shared-desk.md).
\`mt4gw state\` alone is \`mt4gw state status\`.
${statusHelp}`,
  handler: async () => (await import('./handlers/desk-state.js')).status,
  subcommands: [
    defineCommand({
      name: 'status',
      description: 'backend, where (never the URL), reachable, schema version, trading state, locks held and by whom',
      examples: ['mt4gw state status', 'mt4gw state status --json'],
      help: statusHelp,
      handler: async () => (await import('./handlers/desk-state.js')).status,
    }),
    defineCommand({
      name: 'migrate',
      description: "create or upgrade the desk database's schema (also done on first use); run it as the database's owner role",
      examples: ['mt4gw state migrate', 'mt4gw state migrate --json'],
      handler: async () => (await import('./handlers/desk-state.js')).migrate,
    }),
    defineCommand({
      name: 'import',
      description: "bring this machine's local journal, orders in flight and trading state into the desk database",
      examples: ['MT4GW_STATE_URL=… mt4gw state import', 'mt4gw state import --json'],
      help: `
Reads the state directory of this machine (MT4GW_STATE_DIR or its default) and writes it into the
database in one transaction: every journal record (importing again adds nothing), every order in
flight, and each trading state that is stricter than the database's (an import never lifts a
halt). Then renames the local files aside (*.imported-<time>). Refused while an mt4gw process
here holds a local lock.
`,
      handler: async () => (await import('./handlers/desk-state.js')).importLocal,
    }),
  ],
});
