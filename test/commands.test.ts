// Commands as definitions (src/commands/define.ts): every definition's handler loads, and handlers
// run in-process with a Context of the test's own — output captured, the desk's environment — the
// same code the binary runs, without a child process. What they did is read back from the paper
// bridge and the store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli.js';
import { account } from '../src/commands/account.js';
import { makeContext, type GlobalFlags } from '../src/commands/context.js';
import { type AnyCommandDefinition, argumentKey } from '../src/commands/define.js';
import { halt } from '../src/commands/halt.js';
import { COMMANDS } from '../src/commands/index.js';
import { positions } from '../src/commands/positions.js';
import { tick } from '../src/commands/tick.js';
import { EXIT, type MtError, UsageError } from '../src/errors.js';
import { closeStore } from '../src/state/open.js';
import { startDesk, type Desk } from './helpers/desk.js';

let desk: Desk;
beforeAll(async () => {
  desk = await startDesk();
});
afterAll(async () => {
  await closeStore();
  await desk?.close();
});

/** A context on the desk, writing into strings instead of the process's stdout and stderr. */
function context(flags: GlobalFlags = {}) {
  const out = { stdout: '', stderr: '' };
  const ctx = makeContext(
    { config: desk.configPath, ...flags },
    {
      env: desk.env,
      cwd: desk.dir,
      stdout: (t) => {
        out.stdout += t;
      },
      stderr: (t) => {
        out.stderr += t;
      },
    },
  );
  return { ctx, out };
}

function all(defs: readonly AnyCommandDefinition[]): AnyCommandDefinition[] {
  return defs.flatMap((d) => [d, ...all(d.subcommands ?? [])]);
}

describe('definitions', () => {
  it('every definition with a handler resolves it to a function; a parent without one has subcommands', async () => {
    const defs = all(COMMANDS);
    expect(defs.length).toBeGreaterThanOrEqual(26);
    for (const d of defs) {
      if (d.handler) expect(typeof (await d.handler()), d.name).toBe('function');
      else expect(d.subcommands?.length, d.name).toBeGreaterThan(0);
    }
  });

  it("argument names become the handler's keys as commander names attributes; the program has every command", () => {
    expect(argumentKey('<agent>')).toBe('agent');
    expect(argumentKey('[agents...]')).toBe('agents');
    expect(argumentKey('<order-id>')).toBe('orderId');
    const names = buildProgram().commands.map((c) => c.name());
    for (const d of COMMANDS) expect(names).toContain(d.name);
    expect(names).toContain('__complete');
  });
});

describe('handlers in-process', () => {
  it('account: the table and the JSON on the context, from the paper bridge', async () => {
    const run = await account.handler!();
    const table = context();
    await run({ agent: 'agent_1' }, {}, table.ctx);
    expect(table.out.stdout).toMatch(/^balance\s+200\.00$/m);
    const json = context({ json: true });
    await run({ agent: 'agent_2' }, {}, json.ctx);
    expect(JSON.parse(json.out.stdout)).toMatchObject({ agent_id: 'agent_2', balance: 500 });
  });

  it('a bad argument throws the usage error cli.ts maps to exit 2, and prints nothing', async () => {
    const { ctx, out } = context();
    const run = await tick.handler!();
    const e = await Promise.resolve()
      .then(() => run({ agent: 'agent_9', symbol: 'XAUUSD' }, {}, ctx))
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UsageError);
    expect((e as MtError).exitCode).toBe(EXIT.USAGE);
    expect((e as MtError).message).toMatch(/unknown agent "agent_9"/);
    expect(out.stdout).toBe('');
  });

  it('halt: the state lands in the store; positions: an empty desk', async () => {
    const { ctx, out } = context({ json: true });
    await (await halt.handler!())({ agent: 'agent_3' }, { reason: 'in-process test' }, ctx);
    expect(JSON.parse(out.stdout)).toMatchObject({ scope: 'agent_3', state: 'halted', reason: 'in-process test' });
    expect((await desk.tradingState()).agents.agent_3).toMatchObject({ state: 'halted', reason: 'in-process test' });
    const listing = context({ json: true });
    await (await positions.handler!())({ agents: [] }, {}, listing.ctx);
    expect(JSON.parse(listing.out.stdout)).toEqual({ positions: [], offline: [] });
  });
});
