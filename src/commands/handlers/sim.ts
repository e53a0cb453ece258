import { writeFileSync } from 'node:fs';
import { resolveTokens } from '../../config/tokens.js';
import { UsageError } from '../../errors.js';
import { type Fault, type SimAgentOptions, SimInputError, startSim, syntheticAgents } from '../../sim/index.js';
import type { Context } from '../context.js';
import { selectAgents } from '../select.js';
import type { SimOptions } from '../sim.js';

export async function sim(_args: unknown, opts: SimOptions, ctx: Context): Promise<void> {
  const int = (v: string | undefined, flag: string, min = 0, max = 600_000) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new UsageError(`${flag} ${JSON.stringify(v)} must be a whole number from ${min} to ${max}`);
    return n;
  };
  const offset = /^([+-])(\d\d):(\d\d)$/.exec(opts.brokerOffset ?? '+02:00');
  if (!offset)
    throw new UsageError(`--broker-offset ${JSON.stringify(opts.brokerOffset)} is not an offset`, {
      hint: 'Write it like +02:00 or -05:00.',
    });
  const brokerOffsetMinutes = (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3]));
  const faults = (opts.fault ?? []).map(parseFault);
  const latency = int(opts.latency, '--latency');
  if (latency) faults.push({ kind: 'latency', ms: latency, ...(opts.jitter ? { jitter: int(opts.jitter, '--jitter') } : {}) });
  const leverage = int(opts.leverage, '--leverage', 1, 10_000)!;

  let agents: SimAgentOptions[];
  if (opts.synthetic !== undefined) {
    if (opts.agent)
      throw new UsageError('--synthetic and --agent contradict each other', { hint: 'Synthetic agents do not come from agents.yml.' });
    const n = int(opts.synthetic, '--synthetic', 1, 1000)!;
    if (opts.transport === 'metaapi' && opts.writeConfig && !ctx.env.MT4GW_SIM_TOKEN)
      throw new UsageError('--synthetic --transport metaapi --write-config needs MT4GW_SIM_TOKEN', {
        hint: 'A MetaApi agent always has a token: export MT4GW_SIM_TOKEN=… (any value) for the sim and the written agents.yml.',
      });
    const basePort = int(opts.basePort, '--base-port', 0, 65535)!;
    // A token for synthetic agents can only come from the environment, never the command line.
    if (opts.transport === 'dwx') {
      // Three ports per agent (push, pull, pub), from basePort on.
      if (basePort !== 0 && basePort + 3 * n - 1 > 65535)
        throw new UsageError(`--base-port ${basePort} leaves no room for ${n} DWX agents (3 ports each)`);
      agents = syntheticAgents(n, 0).map((a, i) => ({
        ...a,
        port: basePort === 0 ? 0 : basePort + 3 * i,
        transport: 'dwx' as const,
        leverage,
      }));
    } else
      agents = syntheticAgents(n, basePort, ctx.env.MT4GW_SIM_TOKEN || undefined).map((a) => ({
        ...a,
        leverage,
        ...(opts.transport === 'metaapi' ? { transport: 'metaapi' as const } : {}),
      }));
  } else {
    const config = await ctx.config();
    const chosen = selectAgents(config, opts.agent);
    const mismatched = opts.transport === undefined ? [] : chosen.filter((a) => a.mt4.transport !== opts.transport);
    if (mismatched.length > 0) {
      throw new UsageError(
        `--transport ${opts.transport}: ${mismatched.map((a) => `${a.id} is configured with transport ${a.mt4.transport}`).join(', ')}`,
        {
          hint: `Serve only the others (--agent), or set mt4.transport: ${opts.transport} in agents.yml (docs/transports.md).`,
        },
      );
    }
    const tokens = resolveTokens(chosen, ctx.env);
    agents = chosen.map((a) => ({
      id: a.id,
      ...(a.mt4.transport === 'dwx'
        ? {
            host: a.mt4.host,
            port: a.mt4.push_port,
            transport: 'dwx' as const,
            dwx: { push_port: a.mt4.push_port, pull_port: a.mt4.pull_port, pub_port: a.mt4.pub_port },
          }
        : a.mt4.transport === 'metaapi'
          ? { ...metaApiListen(a.id, a.mt4.base_url), transport: 'metaapi' as const, metaapi: { account_id: a.mt4.account_id } }
          : { host: a.mt4.host, port: a.mt4.port }),
      token: tokens.get(a.id)?.reveal(),
      initialBalance: a.risk.initial_balance,
      leverage,
      name: `${a.name} (paper)`,
      // The identity GET /account (and DWX's account_number) reports: agents.yml's, when it has one.
      server: a.mt4.server ?? 'mt4gw-sim',
      ...(loginOf(a.mt4.account) === undefined ? {} : { login: loginOf(a.mt4.account) }),
    }));
  }
  const running = await startSim({
    agents,
    seed: int(opts.seed, '--seed', 0, 2 ** 31)!,
    brokerOffsetMinutes,
    faults,
    tradeLatencyMs: int(opts.tradeLatency, '--trade-latency')!,
    busyPolicy: opts.busy ?? 'reject',
    symbolEndpoint: opts.symbolEndpoint !== false,
    allowNonLoopback: opts.allowRemote === true,
    ...(opts.transport ? { transport: opts.transport } : {}),
    metaapiTradeErrors: opts.metaapiTradeErrors ?? '200',
  }).catch((e: unknown) => {
    // A bad --fault, a port in use, a non-loopback host without --allow-remote: the user's to fix.
    if (e instanceof SimInputError) throw new UsageError(`sim: ${e.message}`, { hint: 'See `mt4gw sim --help` and docs/sim.md.' });
    throw e;
  });
  if (opts.writeConfig) {
    writeFileSync(opts.writeConfig, syntheticConfig(running.agents, ctx.env.MT4GW_SIM_TOKEN ? 'MT4GW_SIM_TOKEN' : undefined));
    ctx.info(`wrote ${opts.writeConfig}`);
  }
  for (const a of running.agents) {
    ctx.info(
      a.dwx
        ? `serving ${a.id} over DWX on ${a.host}: push ${a.dwx.push_port}, pull ${a.dwx.pull_port}, pub ${a.dwx.pub_port}`
        : a.metaapi
          ? `serving ${a.id} as MetaApi account ${a.metaapi.account_id} on ${a.url}`
          : `serving ${a.id} on ${a.url}`,
    );
  }
  // Scripts wait for this line.
  process.stderr.write(`ready: ${running.agents.length} paper bridge${running.agents.length === 1 ? '' : 's'} (Ctrl-C to stop)\n`);
  ctx.write(ctx.json ? `${JSON.stringify(running.agents)}\n` : '');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await running.close();
  ctx.info('paper bridges stopped');
}

/** mt4.account as the paper terminal's login: when it is all digits (and a positive integer). */
export function loginOf(account: string | undefined): number | undefined {
  if (account === undefined || !/^\d+$/.test(account)) return undefined;
  const n = Number(account);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** `trade_error:code=146,count=3` → `{kind: 'trade_error', code: 146, count: 3}`. */
export function parseFault(spec: string): Fault {
  const [kind, rest] = spec.split(':', 2) as [string, string | undefined];
  const fault: Record<string, string | number> = { kind };
  for (const part of (rest ?? '').split(',').filter(Boolean)) {
    const [k, v] = part.split('=', 2);
    if (!k || v === undefined)
      throw new UsageError(`--fault ${JSON.stringify(spec)}: "${part}" is not key=value`, {
        hint: 'Example: --fault trade_error:code=146,count=3',
      });
    fault[k] = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  }
  return fault as unknown as Fault;
}

/**
 * Where a metaapi agent's paper bridge listens: its mt4.base_url, which must be http on a loopback
 * address with a port (the paper bridge has no TLS and serves no path prefix).
 */
export function metaApiListen(agentId: string, baseUrl: string): { host: string; port: number } {
  const u = new URL(baseUrl);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(u.port);
  if (u.protocol !== 'http:' || u.port === '' || (u.pathname !== '/' && u.pathname !== '') || !Number.isInteger(port))
    throw new UsageError(`${agentId}: mt4.base_url ${baseUrl} is not an address the paper bridge can serve`, {
      hint: 'For `mt4gw sim`, point the agent at a loopback port without a path: base_url: http://127.0.0.1:9201',
    });
  return { host, port };
}

function syntheticConfig(
  agents: {
    id: string;
    host: string;
    port: number;
    dwx?: { push_port: number; pull_port: number; pub_port: number };
    metaapi?: { account_id: string; base_url: string };
  }[],
  tokenVar: string | undefined,
): string {
  const lines = ['# Synthetic paper agents written by `mt4gw sim --synthetic`.', 'agents:'];
  for (const a of agents) {
    lines.push(
      `  ${a.id}:`,
      `    name: ${a.id}`,
      '    mt4:',
      ...(a.metaapi ? [] : [`      host: ${a.host}`]),
      ...(a.dwx
        ? [
            '      transport: dwx',
            `      push_port: ${a.dwx.push_port}`,
            `      pull_port: ${a.dwx.pull_port}`,
            `      pub_port: ${a.dwx.pub_port}`,
            '      currency: USD',
          ]
        : a.metaapi
          ? [
              '      transport: metaapi',
              `      account_id: ${a.metaapi.account_id}`,
              `      base_url: ${a.metaapi.base_url}`,
              `      token: \${${tokenVar ?? 'MT4GW_SIM_TOKEN'}}`,
            ]
          : [`      port: ${a.port}`, ...(tokenVar ? [`      token: \${${tokenVar}}`] : [])]),
      '    strategy:',
      '      pairs: [XAUUSD, EURUSD, GBPUSD, USDJPY]',
      '    risk:',
      '      initial_balance: 1000',
      '      max_risk_per_trade: 0.02',
      '      max_daily_loss: 0.05',
      '      max_positions: 100',
      '      lot_size: 0.01',
    );
  }
  return `${lines.join('\n')}\n`;
}
