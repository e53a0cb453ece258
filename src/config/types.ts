// The resolved, validated shape of agents.yml that every other layer consumes.
// src/config/load.ts produces it; nothing else parses the file.
import type { SymbolOverride } from '../bridge/symbols.js';

/** Where an agent's token comes from. Resolved only when a command needs it (resolveToken). */
export type TokenRef = { kind: 'env'; variable: string } | { kind: 'file'; path: string };

/** An agent on the DWX ZeroMQ server EA. With transport dwx, `port` is push_port. */
export interface DwxSettings {
  push_port: number;
  pull_port: number;
  pub_port: number;
  currency: string;
}

export interface AgentConfig {
  id: string;
  name: string;
  description: string;
  /** A disabled agent takes no new orders but is still read, closed and reached by panic. */
  enabled: boolean;
  mt4: {
    host: string;
    port: number;
    account?: string;
    server?: string;
    token?: TokenRef;
    timeout_ms: number;
    /** How old an unanswered order must be on the terminal's clock to be proven never to open (mt4.max_order_age). */
    max_order_age_ms?: number;
    /** rest: the EA Bridge REST protocol on host:port. dwx: the DWX ZeroMQ server EA (docs/transports.md). */
    transport: 'rest' | 'dwx';
    /** transport dwx only: the EA's three ports and the account currency it does not report. */
    dwx?: DwxSettings;
  };
  strategy: {
    type?: string;
    pairs: string[];
    timeframe?: string;
    min_confidence?: number;
  };
  risk: {
    initial_balance: number;
    max_risk_per_trade: number;
    max_daily_loss: number;
    max_positions: number;
    allowed_pairs?: string[];
    lot_size?: number;
    max_lots?: number;
    require_stop_loss: boolean;
  };
}

export interface Config {
  /** Absolute path of the file that was loaded. */
  path: string;
  /** In file order. */
  agents: AgentConfig[];
  symbols: Record<string, SymbolOverride>;
  /** Non-fatal findings (e.g. a token file readable by others), to print on stderr. */
  warnings: string[];
}

export type { SymbolOverride };
