// Contract specs of common symbols: the fallback when a bridge has no /symbol endpoint
// (protocol: "the client falls back to what agents.yml or its own table of common symbols says"),
// and the source of the sim's specs. tick_value and margin depend on the price and the account
// currency, so they are computed, not stored.
import type { SymbolSpec } from './schemas.js';

export interface SymbolInfo {
  digits: number;
  point: number;
  contract_size: number;
  tick_size: number;
  min_lot: number;
  lot_step: number;
  max_lot: number;
  stop_level: number;
  freeze_level: number;
  /** Base currency (what one lot buys) and quote (profit) currency. */
  base: string;
  quote: string;
}

const fx5 = {
  digits: 5,
  point: 0.00001,
  contract_size: 100_000,
  tick_size: 0.00001,
  min_lot: 0.01,
  lot_step: 0.01,
  max_lot: 100,
  stop_level: 0,
  freeze_level: 0,
};
const fx3 = {
  digits: 3,
  point: 0.001,
  contract_size: 100_000,
  tick_size: 0.001,
  min_lot: 0.01,
  lot_step: 0.01,
  max_lot: 100,
  stop_level: 0,
  freeze_level: 0,
};

export const COMMON_SYMBOLS: Readonly<Record<string, SymbolInfo>> = {
  XAUUSD: {
    digits: 2,
    point: 0.01,
    contract_size: 100,
    tick_size: 0.01,
    min_lot: 0.01,
    lot_step: 0.01,
    max_lot: 50,
    stop_level: 0,
    freeze_level: 0,
    base: 'XAU',
    quote: 'USD',
  },
  XAGUSD: {
    digits: 3,
    point: 0.001,
    contract_size: 5000,
    tick_size: 0.001,
    min_lot: 0.01,
    lot_step: 0.01,
    max_lot: 50,
    stop_level: 0,
    freeze_level: 0,
    base: 'XAG',
    quote: 'USD',
  },
  EURUSD: { ...fx5, base: 'EUR', quote: 'USD' },
  GBPUSD: { ...fx5, base: 'GBP', quote: 'USD' },
  AUDUSD: { ...fx5, base: 'AUD', quote: 'USD' },
  NZDUSD: { ...fx5, base: 'NZD', quote: 'USD' },
  USDJPY: { ...fx3, base: 'USD', quote: 'JPY' },
  USDCHF: { ...fx5, base: 'USD', quote: 'CHF' },
  USDCAD: { ...fx5, base: 'USD', quote: 'CAD' },
};

/** A partial spec from agents.yml `symbols:`; every field optional. */
export type SymbolOverride = Partial<Omit<SymbolSpec, 'symbol'>>;

export interface SpecContext {
  /** A current price of the symbol (bid or mid); needed when the account currency is the base. */
  price: number;
  leverage: number;
  accountCurrency: string;
}

/** Money (account currency) that one tick is worth for one lot, or undefined when it cannot be derived. */
export function tickValue(info: SymbolInfo, ctx: SpecContext): number | undefined {
  const perTickInQuote = info.tick_size * info.contract_size;
  if (info.quote === ctx.accountCurrency) return perTickInQuote;
  if (info.base === ctx.accountCurrency && ctx.price > 0) return perTickInQuote / ctx.price;
  return undefined;
}

/** Margin (account currency) for one lot, or undefined when it cannot be derived. */
export function marginPerLot(info: SymbolInfo, ctx: SpecContext): number | undefined {
  if (ctx.leverage <= 0) return undefined;
  if (info.base === ctx.accountCurrency) return info.contract_size / ctx.leverage;
  if (info.quote === ctx.accountCurrency && ctx.price > 0) return (info.contract_size * ctx.price) / ctx.leverage;
  return undefined;
}

/**
 * The spec of a symbol from the table, with the config override applied on top. Undefined when
 * neither the table nor the override gives a complete spec.
 */
export function fallbackSpec(symbol: string, ctx: SpecContext, override: SymbolOverride = {}): SymbolSpec | undefined {
  const info = COMMON_SYMBOLS[symbol];
  const derived: Partial<SymbolSpec> = info
    ? {
        digits: info.digits,
        point: info.point,
        contract_size: info.contract_size,
        tick_size: info.tick_size,
        tick_value: tickValue(info, ctx),
        min_lot: info.min_lot,
        lot_step: info.lot_step,
        max_lot: info.max_lot,
        stop_level: info.stop_level,
        freeze_level: info.freeze_level,
        margin_required: marginPerLot(info, ctx),
      }
    : {};
  return completeSpec(symbol, { ...derived, ...definedOnly(override) });
}

/** Applies a config override on top of a spec a bridge reported. */
export function applyOverride(spec: SymbolSpec, override: SymbolOverride | undefined): SymbolSpec {
  return override ? { ...spec, ...definedOnly(override) } : spec;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const REQUIRED: (keyof SymbolSpec)[] = [
  'digits',
  'point',
  'contract_size',
  'tick_size',
  'tick_value',
  'min_lot',
  'lot_step',
  'max_lot',
  'stop_level',
  'freeze_level',
  'margin_required',
];

function completeSpec(symbol: string, p: Partial<SymbolSpec>): SymbolSpec | undefined {
  for (const k of REQUIRED) if (p[k] === undefined) return undefined;
  return { ...(p as SymbolSpec), symbol };
}
