import { BridgeError } from '../../bridge/errors.js';
import { mt4Code } from '../../bridge/mt4codes.js';
import type { AgentConfig, Config } from '../../config/types.js';
import { EXIT, OrderError, UsageError } from '../../errors.js';
import { toJson } from '../../output/json.js';
import * as render from '../../output/order.js';
import type { SizingRequest } from '../../risk/index.js';
import { executeOrder, type OrderOutcome, type OrderRequest, prepareOrder } from '../../trading/place.js';
import { parsePositive, parseSymbol } from '../args.js';
import type { Context } from '../context.js';
import { confirmOrRefuse, loadPrompts } from '../prompt.js';
import { withBridges } from '../run.js';
import { findAgent } from '../select.js';
import type { TradeArgs, TradeOptions } from '../trade.js';

type TradeFlags = TradeOptions;

export async function trade(args: TradeArgs, flagsGiven: TradeFlags, ctx: Context): Promise<void> {
  const { agent: agentArg, side: sideArg, symbol: symbolArg, lots: lotsArg } = args;
  const config = await ctx.config();
  const missing = [agentArg === undefined && '<agent>', sideArg === undefined && '<side>', symbolArg === undefined && '<symbol>'].filter(
    (m): m is string => m !== false,
  );
  if (missing.length > 0 && !ctx.interactive) {
    throw new UsageError(`missing ${missing.join(' ')}: not on a terminal, so nothing can be asked; nothing was sent`, {
      hint: 'Give them on the command line: mt4gw trade <agent> <buy|sell> <symbol> [lots], e.g. mt4gw trade agent_1 buy XAUUSD 0.01 --sl 2640 --yes',
    });
  }
  const asked =
    missing.length > 0
      ? await askOrder(ctx, config, { agent: agentArg, side: sideArg, symbol: symbolArg, lots: lotsArg, flags: flagsGiven })
      : undefined;
  const agentId = asked?.agent ?? agentArg!;
  const sideText = asked?.side ?? sideArg!;
  const symbolText = asked?.symbol ?? symbolArg!;
  const lotsText = asked ? asked.lots : lotsArg;
  const flags = asked?.flags ?? flagsGiven;
  const agent = findAgent(config, agentId);
  const req = parseOrder(sideText, symbolText, lotsText, flags, agent.risk.lot_size);
  // Refuse before any request: a script without --yes must not even read.
  if (!flags.dryRun && !flags.yes && !ctx.interactive) await confirmOrRefuse(ctx, { yes: false, action: 'place an order', question: '' });

  const store = await ctx.store();
  const { outcome, decision } = await withBridges(ctx, [agent], async (bridges) => {
    const deps = { store, agent, bridge: bridges.get(agent.id), symbols: config.symbols, notify: (m: string) => ctx.info(m) };
    const { decision } = await prepareOrder(deps, req);
    if (!ctx.quiet) process.stderr.write(render.renderPreview(decision, `${agent.id} (${agent.name})`, ctx.err));
    if (!decision.allowed) return { outcome: { status: 'denied', decision } as OrderOutcome, decision };
    if (flags.dryRun) return { outcome: undefined, decision };
    const f = decision.figures;
    await confirmOrRefuse(ctx, {
      yes: flags.yes,
      action: 'place an order',
      question: `Send ${f.side.toUpperCase()} ${f.lots} ${f.symbol} on ${agent.id}?`,
    });
    return { outcome: await executeOrder(deps, req, decision.figures.lots), decision };
  });

  if (outcome === undefined) {
    if (ctx.json) ctx.write(toJson({ agent_id: agent.id, status: 'dry_run', decision: render.decisionJson(decision) }));
    ctx.info('dry run: the order passes every check; nothing was sent.');
    return;
  }
  const jerr = (outcome as { journalError?: string }).journalError;
  if (jerr)
    ctx.warn(
      `the journal could not be written after the order was sent: ${jerr}; the next mt4gw run on ${agent.id} resolves the order again`,
    );
  report(outcome, agent.id, ctx.json, (s) => ctx.write(s), render.decisionJson, render.violationLines);
}

/** buy or sell (any case), or a usage error. Serves the argument and the prompt. */
export function parseSide(sideText: string): 'buy' | 'sell' {
  const side = sideText.trim().toLowerCase();
  if (side !== 'buy' && side !== 'sell')
    throw new UsageError(`side ${JSON.stringify(sideText)} is neither buy nor sell`, {
      hint: 'Example: mt4gw trade agent_1 buy XAUUSD 0.01',
    });
  return side;
}

/** `--risk 1%`: a share of the balance to lose at the stop loss. Serves the flag and the prompt. */
export function parseRiskPercent(text: string): SizingRequest {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(text);
  if (!m)
    throw new UsageError(`--risk ${JSON.stringify(text)} is not a percentage`, {
      hint: 'Write it with a percent sign: --risk 1% (or --risk 0.5%).',
    });
  const pct = Number(m[1]);
  if (!(pct > 0) || pct > 100) throw new UsageError(`--risk ${text} must be more than 0% and at most 100%`);
  return { kind: 'percent', fraction: pct / 100 };
}

export function parseOrder(
  sideText: string,
  symbolText: string,
  lotsText: string | undefined,
  flags: TradeFlags,
  lotSize: number | undefined,
): OrderRequest {
  const side = parseSide(sideText);
  const symbol = parseSymbol(symbolText);
  if (flags.risk !== undefined && flags.riskMoney !== undefined)
    throw new UsageError('--risk and --risk-money contradict each other', {
      hint: 'Size by a share of the balance or by an amount of money, not both.',
    });
  const sizingFlag = flags.risk !== undefined ? '--risk' : flags.riskMoney !== undefined ? '--risk-money' : undefined;
  if (lotsText !== undefined && sizingFlag)
    throw new UsageError(`lots (${lotsText}) and ${sizingFlag} contradict each other`, {
      hint: `Give the lots, or let ${sizingFlag} size the order from the stop loss.`,
    });
  let sizing: SizingRequest | undefined;
  if (flags.risk !== undefined) {
    sizing = parseRiskPercent(flags.risk);
  } else if (flags.riskMoney !== undefined) {
    sizing = { kind: 'money', amount: parsePositive(flags.riskMoney, '--risk-money') };
  }
  const sl = flags.sl === undefined ? undefined : parsePositive(flags.sl, '--sl');
  const tp = flags.tp === undefined ? undefined : parsePositive(flags.tp, '--tp');
  if (sizing && sl === undefined)
    throw new UsageError(`${sizingFlag} needs a stop loss: the risk is the loss at the stop`, { hint: 'Add --sl <price>.' });
  let lots: number | undefined;
  if (!sizing) {
    if (lotsText !== undefined) lots = parsePositive(lotsText, 'lots');
    else if (lotSize !== undefined) lots = lotSize;
    else
      throw new UsageError('no lots given and the agent has no risk.lot_size', {
        hint: 'Give the lots (mt4gw trade agent_1 buy XAUUSD 0.01), --risk 1% with --sl, or set risk.lot_size in agents.yml.',
      });
  }
  if (flags.comment !== undefined && /[^\x20-\x7e]/.test(flags.comment))
    throw new UsageError('--comment may only hold printable ASCII characters (MT4 keeps them as they are)');
  return { side, symbol, lots, sizing, sl, tp, comment: flags.comment };
}

/** Prints an order's outcome and throws the matching exit code when it is not "opened". */
export function report(
  outcome: OrderOutcome,
  agentId: string,
  json: boolean,
  write: (s: string) => void,
  decisionJson: (d: OrderOutcome['decision']) => Record<string, unknown>,
  violationLines: (d: OrderOutcome['decision']) => string[],
): void {
  const base = { agent_id: agentId, status: outcome.status, decision: decisionJson(outcome.decision) };
  switch (outcome.status) {
    case 'opened': {
      const { orderId, ticket, price, lots, reconciled } = outcome;
      const f = outcome.decision.figures;
      if (json) write(toJson({ ...base, order_id: orderId, ticket, price, lots, reconciled }));
      else
        write(
          `opened ticket ${ticket}: ${f.side.toUpperCase()} ${lots} ${f.symbol} at ${price ?? '?'} on ${agentId} (order ${orderId}${reconciled ? ', confirmed by read-back' : ''})\n`,
        );
      return;
    }
    case 'denied':
      if (json) write(toJson(base));
      throw new OrderError(`order denied by the risk checks on ${agentId}; nothing was sent`, EXIT.DENIED, {
        problems: violationLines(outcome.decision),
      });
    case 'changed':
      if (json) write(toJson({ ...base, preview_lots: outcome.previewLots, lots: outcome.decision.figures.lots }));
      throw new OrderError(
        `the order changed after the preview (lots ${outcome.previewLots} → ${outcome.decision.figures.lots}); nothing was sent`,
        EXIT.DENIED,
        {
          hint: 'The account moved while you confirmed. Run the command again to see the new preview.',
        },
      );
    case 'rejected': {
      if (json)
        write(
          toJson({ ...base, order_id: outcome.orderId, error_code: outcome.code, message: outcome.message, attempts: outcome.attempts }),
        );
      rejected(outcome.code, outcome.message, agentId);
      break;
    }
    case 'not_sent':
      if (json) write(toJson({ ...base, order_id: outcome.orderId, reason: outcome.error.message }));
      throw outcome.error;
    case 'unknown':
      if (json) write(toJson({ ...base, order_id: outcome.orderId, reason: outcome.reason }));
      throw new OrderError(`the outcome of order ${outcome.orderId} on ${agentId} is unknown: ${outcome.reason}`, EXIT.UNKNOWN, {
        hint: `Do not send it again. It stays in flight — new orders on ${agentId} are denied (ORDER_UNRESOLVED) — until \`mt4gw positions ${agentId}\` (or any command reading ${agentId}) sees it open, or it is proven never to open once older than mt4.max_order_age. If you checked the terminal and it is not there: mt4gw journal resolve ${outcome.orderId} --not-opened`,
      });
  }
}

function rejected(code: number, message: string, agentId: string): never {
  const info = mt4Code(code);
  throw new OrderError(
    `MT4 rejected the order on ${agentId}: error ${code}, ${info.meaning}${message && message !== info.meaning ? ` (${message})` : ''}`,
    EXIT.REJECTED,
    {
      hint: info.advice || undefined,
    },
  );
}

// ───────────────────────────── the interactive form ─────────────────────────────

interface Asked {
  agent: string;
  side: string;
  symbol: string;
  lots: string | undefined;
  flags: TradeFlags;
}

/** A prompt validator from a parser: true, or the parser's message (and hint) for the user. */
function check(parse: (text: string) => unknown): (text: string) => true | string {
  return (text) => {
    try {
      parse(text);
      return true;
    } catch (e) {
      if (e instanceof UsageError) return e.hint ? `${e.message} — ${e.hint}` : e.message;
      throw e;
    }
  };
}

/**
 * Asks, on a terminal, for whatever the command line left out: agent, side, symbol, then — unless
 * given — lots or a risk to size by, stop loss and take profit. Every answer passes the parser the
 * flag form uses; the result goes through parseOrder like typed arguments, then the same preview
 * and confirmation follow.
 */
async function askOrder(
  ctx: Context,
  config: Config,
  given: {
    agent?: string | undefined;
    side?: string | undefined;
    symbol?: string | undefined;
    lots?: string | undefined;
    flags: TradeFlags;
  },
): Promise<Asked> {
  const prompts = await loadPrompts();
  const io = { input: process.stdin, output: process.stderr, clearPromptOnDone: false };
  const flags: TradeFlags = { ...given.flags };
  try {
    let agent: AgentConfig;
    if (given.agent !== undefined) agent = findAgent(config, given.agent);
    else {
      const id = await prompts.select(
        {
          message: 'Agent',
          choices: config.agents.map((a) => ({
            name: `${a.id}${a.name !== a.id ? `  ${a.name}` : ''}${a.enabled ? '' : '  (disabled)'}`,
            value: a.id,
            description: a.strategy.pairs.length ? `trades ${a.strategy.pairs.join(', ')}` : undefined,
          })),
        },
        io,
      );
      agent = findAgent(config, id);
    }
    const side =
      given.side !== undefined
        ? parseSide(given.side)
        : await prompts.select<'buy' | 'sell'>(
            {
              message: 'Side',
              choices: [
                { name: 'buy', value: 'buy' },
                { name: 'sell', value: 'sell' },
              ],
            },
            io,
          );

    let symbol: string;
    if (given.symbol !== undefined) symbol = parseSymbol(given.symbol);
    else {
      const pairs = [...new Set([...agent.strategy.pairs, ...(agent.risk.allowed_pairs ?? [])])];
      const OTHER = '\u0000other';
      const picked = pairs.length
        ? await prompts.select(
            { message: 'Symbol', choices: [...pairs.map((p) => ({ name: p, value: p })), { name: 'another symbol…', value: OTHER }] },
            io,
          )
        : OTHER;
      symbol = picked === OTHER ? parseSymbol(await prompts.input({ message: 'Symbol', validate: check(parseSymbol) }, io)) : picked;
    }

    // Bid and ask help choose the stops; a missing token fails here, before more questions.
    let quote: { bid: number; ask: number } | undefined;
    try {
      quote = await withBridges(ctx, [agent], (b) => b.get(agent.id).tick(symbol));
    } catch (e) {
      if (!(e instanceof BridgeError)) throw e;
      ctx.warn(`${agent.id}: no quote for ${symbol} (${(e as Error).message}); the preview will read it again`);
    }

    let lots = given.lots;
    if (lots === undefined && flags.risk === undefined && flags.riskMoney === undefined) {
      const how = await prompts.select<'lots' | 'percent' | 'money'>(
        {
          message: 'Size',
          choices: [
            { name: agent.risk.lot_size !== undefined ? `lots (default ${agent.risk.lot_size})` : 'lots', value: 'lots' },
            { name: 'risk: a share of the balance lost at the stop loss (e.g. 1%)', value: 'percent' },
            { name: 'risk: an amount of money lost at the stop loss', value: 'money' },
          ],
        },
        io,
      );
      if (how === 'lots') {
        lots = (
          await prompts.input(
            { message: 'Lots', default: agent.risk.lot_size?.toString(), validate: check((t) => parsePositive(t, 'lots')) },
            io,
          )
        ).trim();
      } else if (how === 'percent') {
        flags.risk = (
          await prompts.input(
            {
              message: 'Risk, % of the balance',
              default: `${+(agent.risk.max_risk_per_trade * 100).toPrecision(6)}%`,
              validate: check(parseRiskPercent),
            },
            io,
          )
        ).trim();
      } else {
        flags.riskMoney = (
          await prompts.input(
            { message: 'Risk, money lost at the stop loss', validate: check((t) => parsePositive(t, '--risk-money')) },
            io,
          )
        ).trim();
      }
    }
    const sizing = flags.risk !== undefined || flags.riskMoney !== undefined;
    const market = quote ? ` (bid ${quote.bid}, ask ${quote.ask})` : '';
    const optionalPrice = (flag: string, required: boolean) =>
      check((t) => {
        if (t.trim() === '') {
          if (required) throw new UsageError(`a stop loss is needed to size by risk: the risk is the loss at the stop`);
          return;
        }
        parsePositive(t, flag);
      });
    if (flags.sl === undefined) {
      const sl = await prompts.input(
        {
          message: `Stop loss${market}${sizing || agent.risk.require_stop_loss ? '' : ', empty for none'}`,
          validate: optionalPrice('--sl', sizing),
        },
        io,
      );
      if (sl.trim() !== '') flags.sl = sl.trim();
    }
    if (flags.tp === undefined) {
      const tp = await prompts.input({ message: `Take profit${market}, empty for none`, validate: optionalPrice('--tp', false) }, io);
      if (tp.trim() !== '') flags.tp = tp.trim();
    }
    // The same order as a command line, to reuse in a script.
    const line = [
      'mt4gw trade',
      agent.id,
      side,
      symbol,
      lots ?? '',
      flags.risk !== undefined ? `--risk ${flags.risk}` : '',
      flags.riskMoney !== undefined ? `--risk-money ${flags.riskMoney}` : '',
      flags.sl !== undefined ? `--sl ${flags.sl}` : '',
      flags.tp !== undefined ? `--tp ${flags.tp}` : '',
    ].filter((x) => x !== '');
    ctx.info(ctx.err.dim(`as a command: ${line.join(' ')}`));
    return { agent: agent.id, side, symbol, lots, flags };
  } catch (e) {
    // Ctrl-C / Ctrl-D at a prompt.
    if ((e as Error).name === 'ExitPromptError' || (e as Error).name === 'AbortPromptError')
      throw new UsageError('cancelled: nothing was sent');
    throw e;
  }
}
