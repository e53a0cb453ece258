import type { Command } from 'commander';
import { EXIT, PartialFailure, UsageError, type ExitCode } from '../errors.js';
import { toJson } from '../output/json.js';
import type { Signal } from '../trading/signal-schema.js';
import type { AgentResult } from '../trading/signal.js';
import type { Context } from './context.js';
import { confirmOrRefuse } from './prompt.js';
import { contextOf, examples, parsePositive, withBridges } from './run.js';

interface SignalFlags {
  sl?: string;
  tp?: string;
  entry?: string;
  confidence?: string;
  id?: string;
  file?: string;
  fromUrl?: string;
  dryRun?: boolean;
  yes?: boolean;
}

/** Without --timeout, how long a signal service may take to answer. */
const URL_TIMEOUT_MS = 10_000;

export function register(program: Command): void {
  program
    .command('signal')
    .argument('[symbol]', 'symbol, e.g. XAUUSD; or - to read signal JSON from stdin')
    .argument('[side]', 'long, short, buy or sell')
    .option('--sl <price>', 'stop loss price (required: every agent sizes its order from it)')
    .option('--tp <price>', 'take profit price')
    .option('--entry <price>', 'the price the signal was computed at (recorded; orders are at market)')
    .option('--confidence <0..1>', "the signal's confidence, e.g. 0.78 (agents with strategy.min_confidence skip lower ones)")
    .option('--id <id>', 'the signal id (default: derived from symbol, side and levels); a re-delivered id is never acted on twice')
    .option('--file <path>', 'read one signal or a list as JSON from a file')
    .option('--from-url <url>', 'fetch one signal or a list as JSON from an http(s) service (within --timeout, default 10s)')
    .option('--dry-run', 'show what every agent would do; send nothing')
    .option('-y, --yes', 'do not ask for confirmation (required without a terminal: cron, pipes)')
    .description('one trading signal in: every agent checks, sizes and decides for itself')
    .addHelpText(
      'after',
      examples([
        'mt4gw signal XAUUSD long --sl 2648.27 --tp 2660 --confidence 0.78 --dry-run',
        'mt4gw signal XAUUSD long --sl 2648.27 --id model-2026-11-20T08:15 --yes',
        `echo '{"id":"s1","symbol":"XAUUSD","side":"long","sl":2648.27}' | mt4gw signal - --yes --json`,
        'mt4gw signal --from-url "https://models.example/signals/latest?token=…" --yes --json',
      ]) +
        `
Each agent, concurrently: skips the signal if it is disabled, halted, the symbol is not in its
strategy.pairs or the confidence is below its strategy.min_confidence; otherwise sizes the order
from its balance × risk.max_risk_per_trade and the stop distance (capped by max_lots), runs every
risk check and places it exactly as \`mt4gw trade\` does. A signal id already handled on an agent
is reported "already handled" and not acted on again. See docs/signals.md.
Exit codes: 0 every agent opened, skipped, was denied or had already handled it; 2 bad signal
(nothing sent); 3 an agent unreachable; 5 MT4 rejected an order; 6 an order's outcome is unknown.
When agents end differently the highest concern wins: 6, then 5, then 3.
`,
    )
    .action(async (symbolText: string | undefined, sideText: string | undefined, flags: SignalFlags, cmd: Command) => {
      const ctx = contextOf(cmd);
      // The signal is read and validated before anything else: a bad one sends nothing anywhere.
      const signals = await readSignals(symbolText, sideText, flags, ctx);
      if (signals.length === 0) {
        if (ctx.json) ctx.write(toJson({ dry_run: flags.dryRun === true, exit_code: 0, signals: [] }));
        ctx.info('no signals in the delivery; nothing to do.');
        return;
      }
      const config = await ctx.config();
      // Refuse before any request: a script without --yes must not even read.
      if (!flags.dryRun && !flags.yes && !ctx.interactive)
        await confirmOrRefuse(ctx, { yes: false, action: 'act on a signal', question: '' });

      const [sig, render, store] = await Promise.all([import('../trading/signal.js'), import('../output/signal.js'), ctx.store()]);
      // Only agents that could act on one of the signals need their bridge (and token).
      const reach = config.agents.filter((a) => signals.some((s) => sig.concerns(s, a)));
      const batches = await withBridges(ctx, reach, async (bridges) => {
        const deps = { store, bridges, symbols: config.symbols, notify: (m: string) => ctx.info(m) };
        let previews: Map<string, Map<string, number>> | undefined;
        if (flags.dryRun || !flags.yes) {
          const plans: Batch[] = [];
          for (const signal of signals) plans.push({ signal, agents: await sig.planSignal(signal, config.agents, deps) });
          if (flags.dryRun) return plans;
          // A person at a terminal: show the plan, ask, and send only the lots confirmed.
          const sends = plans.flatMap((p) =>
            p.agents
              .filter((a) => a.status === 'would_open')
              .map((a) => `${a.agent_id} ${p.signal.side.toUpperCase()} ${a.lots} ${p.signal.symbol}`),
          );
          if (sends.length > 0) {
            process.stderr.write(plans.map((p) => render.renderSignalResults(p.signal, p.agents, ctx.err)).join('\n'));
            await confirmOrRefuse(ctx, {
              yes: false,
              action: 'act on a signal',
              question: `Send ${sends.length} order${sends.length === 1 ? '' : 's'} (${sends.join(', ')})?`,
            });
          }
          previews = new Map(
            plans.map((p) => [
              p.signal.id,
              new Map(p.agents.filter((a) => a.status === 'would_open' && a.lots !== null).map((a) => [a.agent_id, a.lots!])),
            ]),
          );
        }
        const done: Batch[] = [];
        for (const signal of signals)
          done.push({ signal, agents: await sig.executeSignal(signal, config.agents, deps, previews?.get(signal.id)) });
        return done;
      });

      const all = batches.flatMap((b) => b.agents);
      const code = sig.exitCodeOf(all);
      if (ctx.json) ctx.write(toJson({ dry_run: flags.dryRun === true, exit_code: code, signals: batches }));
      else ctx.write(batches.map((b) => render.renderSignalResults(b.signal, b.agents, ctx.out)).join('\n'));
      if (flags.dryRun) ctx.info('dry run: nothing was sent.');
      if (code !== EXIT.OK) throw failure(all, code);
    });
}

interface Batch {
  signal: Signal;
  agents: AgentResult[];
}

function failure(rows: AgentResult[], code: ExitCode): PartialFailure {
  const bad = rows.filter((r) => r.exit_code !== EXIT.OK);
  const hint =
    code === EXIT.UNKNOWN
      ? 'Do not send those orders again by hand: check `mt4gw positions <agent>` for their mt4gw:<order id> comment; the next order on that agent looks them up. A re-delivered signal is not resent there.'
      : code === EXIT.REJECTED
        ? 'MT4 refused the order (the reason is in the row); a re-delivery of the same signal does not retry it.'
        : code === EXIT.BRIDGE
          ? 'Check those terminals (`mt4gw status`). Delivering the same signal again retries only the agents that could not be reached.'
          : undefined;
  return new PartialFailure(`${bad.length} agent result${bad.length === 1 ? '' : 's'} need${bad.length === 1 ? 's' : ''} attention`, code, {
    problems: bad.map((r) => `${r.agent_id} (${r.name}): ${r.status}: ${r.reason ?? ''}`),
    ...(hint ? { hint } : {}),
  });
}

/** The signals of this delivery, from exactly one source: the command line, stdin, a file or a URL. */
async function readSignals(
  symbolText: string | undefined,
  sideText: string | undefined,
  flags: SignalFlags,
  ctx: Context,
): Promise<Signal[]> {
  const stdin = symbolText === '-';
  const flagForm = symbolText !== undefined && !stdin;
  const sources = [
    flagForm && 'the <symbol> <side> arguments',
    stdin && '- (stdin)',
    flags.file !== undefined && '--file',
    flags.fromUrl !== undefined && '--from-url',
  ].filter(Boolean);
  if (sources.length === 0) {
    throw new UsageError('no signal given', {
      hint: 'Give one: mt4gw signal XAUUSD long --sl 2648.27, or JSON with `-` (stdin), --file or --from-url. See mt4gw signal --help.',
    });
  }
  if (sources.length > 1) throw new UsageError(`give the signal one way, not ${sources.join(' and ')}`);
  if (!flagForm) {
    const levelFlags = (['sl', 'tp', 'entry', 'confidence', 'id'] as const).filter((k) => flags[k] !== undefined).map((k) => `--${k}`);
    if (levelFlags.length > 0 || sideText !== undefined) {
      throw new UsageError(
        `${[...(sideText !== undefined ? [`the side "${sideText}"`] : []), ...levelFlags].join(', ')} belong${levelFlags.length + (sideText ? 1 : 0) === 1 ? 's' : ''} to the command-line form, not to JSON input`,
        {
          hint: 'Put every field in the JSON ({"symbol": …, "side": …, "sl": …}), or give the signal on the command line.',
        },
      );
    }
  }
  const [schema, from] = await Promise.all([import('../trading/signal-schema.js'), import('../trading/signal-sources.js')]);
  if (flagForm) return schema.validateSignals(fromFlags(symbolText, sideText, flags), 'the command line');
  if (stdin) return schema.parseSignals(await from.readSignalStdin(process.stdin), 'stdin');
  if (flags.file !== undefined) return schema.parseSignals(await from.readSignalFile(flags.file), flags.file);
  const { text, shown } = await from.fetchSignals(flags.fromUrl!, {
    timeoutMs: ctx.timeoutMs ?? URL_TIMEOUT_MS,
    debug: (l) => ctx.debug(l),
  });
  return schema.parseSignals(text, shown);
}

/** The command-line form as the JSON form, so both pass the same validation. */
function fromFlags(symbol: string, side: string | undefined, flags: SignalFlags): Record<string, unknown> {
  const num = (text: string | undefined, flag: string) => (text === undefined ? undefined : parsePositive(text, flag));
  let confidence: number | undefined;
  if (flags.confidence !== undefined) {
    const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(%?)\s*$/.exec(flags.confidence);
    if (!m)
      throw new UsageError(`--confidence ${JSON.stringify(flags.confidence)} is not a number`, {
        hint: 'Write it as a fraction from 0 to 1: --confidence 0.78 (or 78%).',
      });
    confidence = Number(m[1]) / (m[2] ? 100 : 1);
  }
  const raw: Record<string, unknown> = {
    symbol,
    side,
    sl: num(flags.sl, '--sl'),
    tp: num(flags.tp, '--tp'),
    entry: num(flags.entry, '--entry'),
    confidence,
    id: flags.id,
  };
  return Object.fromEntries(Object.entries(raw).filter(([k, v]) => v !== undefined || k === 'side' || k === 'sl'));
}
