// The resolved, validated shape of agents.yml that every other layer consumes.
// src/config/load.ts produces it; nothing else parses the file.
import type { SymbolOverride } from '../bridge/symbols.js';

/** Where an agent's token comes from. Resolved only when a command needs it (resolveToken). */
export type TokenRef = { kind: 'env'; variable: string } | { kind: 'file'; path: string };

/** What every transport's mt4 block has. */
export interface Mt4Common {
  /** The MT4 login as written; when all digits, every command checks the terminal reports it. */
  account?: string;
  server?: string;
  token?: TokenRef;
  timeout_ms: number;
  /** How old an unanswered order must be on the terminal's clock to be proven never to open (mt4.max_order_age). */
  max_order_age_ms?: number;
}

/** The EA Bridge REST protocol on host:port. */
export interface RestMt4 extends Mt4Common {
  transport: 'rest';
  host: string;
  port: number;
}

/** The DWX ZeroMQ server EA: its three ports, and the account currency it does not report (docs/transports.md). */
export interface DwxMt4 extends Mt4Common {
  transport: 'dwx';
  host: string;
  push_port: number;
  pull_port: number;
  pub_port: number;
  currency: string;
}

/**
 * MetaApi's cloud REST API (metaapi.cloud): no terminal and no EA of one's own. The account is
 * MetaApi's account id; the token is MetaApi's, sent as `auth-token` (docs/transports.md).
 */
export interface MetaApiMt4 extends Mt4Common {
  transport: 'metaapi';
  /** MetaApi's id of the account (not the MT4 login). */
  account_id: string;
  /** The API's origin (and path prefix, if any), without a trailing slash: from mt4.region or mt4.base_url. */
  base_url: string;
  /** The region the base URL was made from; undefined when mt4.base_url was given. */
  region?: string;
}

/** An agent's connection to its terminal: one branch per transport (config/transports.ts). */
export type Mt4Config = RestMt4 | DwxMt4 | MetaApiMt4;

export interface AgentConfig {
  id: string;
  name: string;
  description: string;
  /** A disabled agent takes no new orders but is still read, closed and reached by panic. */
  enabled: boolean;
  mt4: Mt4Config;
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

/** agents.yml's `state:` block: a desk shared through PostgreSQL (docs/shared-desk.md). */
export interface StateConfig {
  /** The database URL's source: a variable (`url: ${VAR}`) or a file (`url_file:`); never the URL itself. */
  url: TokenRef;
}

export interface Config {
  /** Absolute path of the file that was loaded. */
  path: string;
  /** Set when the desk's state is shared through PostgreSQL. */
  state?: StateConfig;
  /** In file order. */
  agents: AgentConfig[];
  symbols: Record<string, SymbolOverride>;
  /** Non-fatal findings (e.g. a token file readable by others), to print on stderr. */
  warnings: string[];
}

export type { SymbolOverride };
