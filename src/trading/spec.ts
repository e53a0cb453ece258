// One way to know a symbol's contract, used by every path that needs one (orders, partial closes,
// modifies): the terminal's own spec, then agents.yml's `symbols:` override on top, else mt4gw's
// table of common symbols with the override on top.
import type { Account, SymbolSpec } from '../bridge/schemas.js';
import { applyOverride, fallbackSpec, type SymbolOverride } from '../bridge/symbols.js';

export type SpecSource = 'bridge' | 'config' | 'table' | 'none';

export function resolveSpec(
  symbol: string,
  bridgeSpec: SymbolSpec | undefined,
  market: { price: number; account: Pick<Account, 'leverage' | 'currency'> },
  overrides: Record<string, SymbolOverride>,
): { spec: SymbolSpec | undefined; source: SpecSource } {
  const override = overrides[symbol];
  if (bridgeSpec) return { spec: applyOverride(bridgeSpec, override), source: 'bridge' };
  const spec = fallbackSpec(
    symbol,
    { price: market.price, leverage: market.account.leverage, accountCurrency: market.account.currency },
    override,
  );
  return { spec, source: spec ? (override ? 'config' : 'table') : 'none' };
}
