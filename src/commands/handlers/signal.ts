import { EXIT, type ExitCode, PartialFailure, UsageError } from '../../errors.js';
import { toJson } from '../../output/json.js';
import * as render from '../../output/signal.js';
import * as schema from '../../trading/signal-schema.js';
import type { Signal } from '../../trading/signal-schema.js';
import * as sig from '../../trading/signal.js';
import type { AgentResult } from '../../trading/signal.js';
import { parsePositive } from '../args.js';
import type { Context } from '../context.js';
import { confirmOrRefuse } from '../prompt.js';
import { withBridges } from '../run.js';
import type { SignalArgs, SignalOptions } from '../signal.js';

type SignalFlags = SignalOptions;

/** Without --timeout, how long a signal service may take to answer. */
const URL_TIMEOUT_MS = 10_000;

export async function signal(args: SignalArgs, flags: SignalFlags, ctx: Context): Promise<void> {
  const { symbol: symbolText, side: sideText } = args;
  // The signal is read and validated before anything else: a bad one sends nothing anywhere.
  const signals = await readSignals(symbolText, sideText, flags, ctx);
  if (signals.length === 0) {
    if (ctx.json) ctx.write(toJson({ dry_run: flags.dryRun === true, exit_code: 0, signals: [] }));
    ctx.info('no signals in the delivery; nothing to do.');
    return;
  }
  const config = await ctx.config();
  // Refuse before any request: a script without --yes must not even read.
  if (!flags.dryRun && !flags.yes && !ctx.interactive) await confirmOrRefuse(ctx, { yes: false, action: 'act on a signal', question: '' });

  const store = await ctx.store();
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
  if (flagForm) return schema.validateSignals(fromFlags(symbolText, sideText, flags), 'the command line');
  // JSON input only: the sources module carries undici's fetch stack, which the command-line form never needs.
  const from = await import('../../trading/signal-sources.js');
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
