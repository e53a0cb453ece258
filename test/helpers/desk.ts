// A trading desk for end-to-end tests: paper bridges on 127.0.0.1 ephemeral ports, an agents.yml
// pointing at them, tokens in environment variables, and a private state directory. Every agent
// speaks simOptions.transport (rest by default), or its own sim.transport: a desk can mix rest,
// dwx and metaapi agents in one agents.yml.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSim, type SimAgentOptions, type SimHandle, type SimOptions } from '../../src/sim/index.js';
import { createStore } from '../../src/state/open.js';
import type { DeskStore, JournalRecord, PendingOrder } from '../../src/state/store.js';
import type { TradingStateDoc } from '../../src/state/model.js';
import { baseEnv, runCli, type RunOptions } from './cli.js';

export interface DeskAgent {
  id: string;
  name: string;
  pairs: string[];
  balance: number;
  risk: number;
  maxPositions: number;
  lotSize: number;
  enabled?: boolean;
  /** Extra YAML lines inside the agent's `risk:` block. */
  riskExtra?: string[];
  /** Extra YAML lines inside the agent's `mt4:` block. */
  mt4Extra?: string[];
  /** Extra options of this agent's paper terminal (e.g. login, server, busyPolicy). */
  sim?: Partial<Omit<SimAgentOptions, 'id' | 'port' | 'token'>>;
}

export const DESIGN_AGENTS: DeskAgent[] = [
  { id: 'agent_1', name: 'Atlas', pairs: ['XAUUSD'], balance: 200, risk: 0.01, maxPositions: 1, lotSize: 0.01 },
  { id: 'agent_2', name: 'Orion', pairs: ['EURUSD', 'GBPUSD'], balance: 500, risk: 0.015, maxPositions: 2, lotSize: 0.02 },
  {
    id: 'agent_3',
    name: 'Nova',
    pairs: ['XAUUSD', 'EURUSD', 'GBPUSD', 'USDJPY'],
    balance: 1000,
    risk: 0.02,
    maxPositions: 3,
    lotSize: 0.05,
  },
];

export interface DeskOptions {
  /**
   * A shared desk: MT4GW_STATE_URL for the PostgreSQL store (a database of the test's own,
   * test/helpers/pg.ts). Without it, the local files store.
   */
  stateUrl?: string | undefined;
}

/** One machine of a desk: its own state directory and environment, the desk's agents.yml and terminals. */
export interface Machine {
  name: string;
  env: Record<string, string>;
  stateDir: string;
  run(args: string[], options?: RunOptions): ReturnType<typeof runCli>;
  store(): Promise<DeskStore>;
}

export interface Desk {
  sim: SimHandle;
  dir: string;
  configPath: string;
  env: Record<string, string>;
  tokens: Record<string, string>;
  run(args: string[], options?: RunOptions): ReturnType<typeof runCli>;
  /** The desk store the CLI writes to (files or PostgreSQL, as the desk's environment says). */
  store(): Promise<DeskStore>;
  /** Every journal record, oldest first, read through the store. */
  journal(): Promise<JournalRecord[]>;
  /** Orders in flight (pending markers), read through the store. */
  pending(agent?: string): Promise<PendingOrder[]>;
  tradingState(): Promise<TradingStateDoc>;
  /**
   * Another machine of the same desk (a shared desk: stateUrl): a state directory and environment
   * of its own, the same database, agents.yml and terminals. The desk itself is machine "A".
   */
  machine(name: string): Machine;
  close(): Promise<void>;
}

export async function startDesk(
  agents: DeskAgent[] = DESIGN_AGENTS,
  simOptions: Partial<SimOptions> = {},
  extraYaml = '',
  options: DeskOptions = {},
): Promise<Desk> {
  const dir = mkdtempSync(join(tmpdir(), 'mt4gw-desk-'));
  const tokens: Record<string, string> = {};
  for (const [i, a] of agents.entries()) tokens[a.id] = `tok-${i}-${Math.random().toString(36).slice(2)}-secret`;
  const sim = await startSim({
    seed: 42,
    ...simOptions,
    agents: agents.map((a) => ({ id: a.id, port: 0, token: tokens[a.id], initialBalance: a.balance, name: `${a.name} paper`, ...a.sim })),
  });
  const env = baseEnv({ MT4GW_STATE_DIR: join(dir, 'state'), MT4GW_STATE_URL: options.stateUrl });
  const lines = ['agents:'];
  agents.forEach((a, i) => {
    const served = sim.agents.find((s) => s.id === a.id)!;
    const variable = `MT4GW_TEST_TOKEN_${i + 1}`;
    env[variable] = tokens[a.id]!;
    lines.push(
      `  ${a.id}:`,
      `    name: ${a.name}`,
      ...(a.enabled === false ? ['    enabled: false'] : []),
      '    mt4:',
      // simOptions.transport (or the agent's sim.transport) 'dwx': the DWX EA's three ports, no token
      // (DWX has none); 'metaapi': MetaApi's account id, the paper bridge's base URL and the token.
      ...(served.dwx
        ? [
            '      host: 127.0.0.1',
            '      transport: dwx',
            `      push_port: ${served.dwx.push_port}`,
            `      pull_port: ${served.dwx.pull_port}`,
            `      pub_port: ${served.dwx.pub_port}`,
            '      currency: USD',
          ]
        : served.metaapi
          ? [
              '      transport: metaapi',
              `      account_id: ${served.metaapi.account_id}`,
              `      base_url: ${served.metaapi.base_url}`,
              `      token: \${${variable}}`,
            ]
          : ['      host: 127.0.0.1', `      port: ${served.port}`, `      token: \${${variable}}`]),
      '      timeout_ms: 2000',
      ...(a.mt4Extra ?? []).map((l) => `      ${l}`),
      '    strategy:',
      `      pairs: [${a.pairs.join(', ')}]`,
      '    risk:',
      `      initial_balance: ${a.balance}`,
      `      max_risk_per_trade: ${a.risk}`,
      '      max_daily_loss: 0.05',
      `      max_positions: ${a.maxPositions}`,
      `      lot_size: ${a.lotSize}`,
      ...(a.riskExtra ?? []).map((l) => `      ${l}`),
    );
  });
  const configPath = join(dir, 'agents.yml');
  let store: Promise<DeskStore> | undefined;
  const deskStore = () => {
    store ??= createStore(env);
    return store;
  };
  writeFileSync(configPath, `${lines.join('\n')}\n${extraYaml}`);
  const machines: Machine[] = [];
  return {
    sim,
    dir,
    configPath,
    env,
    tokens,
    run: (args, options = {}) => runCli(['--config', configPath, ...args], { env, cwd: dir, ...options }),
    store: deskStore,
    journal: async () => (await (await deskStore()).query()).records,
    pending: async (agent) => (await deskStore()).pending(agent),
    tradingState: async () => (await deskStore()).readState(),
    machine(name) {
      const stateDir = join(dir, `state-${name}`);
      const menv = { ...env, MT4GW_STATE_DIR: stateDir };
      let mstore: Promise<DeskStore> | undefined;
      const m: Machine & { opened: () => Promise<DeskStore> | undefined } = {
        name,
        env: menv,
        stateDir,
        run: (args, o = {}) => runCli(['--config', configPath, ...args], { env: menv, cwd: dir, ...o }),
        store: () => {
          mstore ??= createStore(menv);
          return mstore;
        },
        opened: () => mstore,
      };
      machines.push(m);
      return m;
    },
    async close() {
      for (const m of machines) await (await (m as Machine & { opened: () => Promise<DeskStore> | undefined }).opened())?.close();
      await (await store)?.close();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
