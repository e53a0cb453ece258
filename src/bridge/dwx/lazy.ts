// A dwx agent's Bridge that loads the DWX client (and with it zeromq, a native module) only when
// the first command is sent: REST users, and dwx agents a command does not touch, never pay for it.
import type { Account, ClosedTrade, PendingOrder, Position, SymbolSpec, Tick, TradeReply, TradeRequest } from '../schemas.js';
import type { Bridge } from '../transport.js';
import { DWX_CAPABILITIES } from './capabilities.js';
import type { DwxClient, DwxClientOptions, DwxTarget } from './client.js';

export class LazyDwxBridge implements Bridge {
  readonly agent: string;
  readonly transport = 'dwx' as const;
  readonly capabilities = DWX_CAPABILITIES;
  readonly #target: DwxTarget;
  readonly #options: DwxClientOptions;
  #client: Promise<DwxClient> | undefined;

  constructor(target: DwxTarget, options: DwxClientOptions = {}) {
    this.agent = target.id;
    this.#target = target;
    this.#options = options;
  }

  #get(): Promise<DwxClient> {
    this.#client ??= import('./client.js').then((m) => new m.DwxClient(this.#target, this.#options));
    return this.#client;
  }

  async account(): Promise<Account> {
    return (await this.#get()).account();
  }
  async tick(symbol: string): Promise<Tick> {
    return (await this.#get()).tick(symbol);
  }
  async symbol(): Promise<SymbolSpec | undefined> {
    return undefined; // DWX_CAPABILITIES.symbolSpecs is false: nothing to ask
  }
  async positions(): Promise<Position[]> {
    return (await this.#get()).positions();
  }
  async orders(): Promise<PendingOrder[]> {
    return (await this.#get()).orders();
  }
  async history(): Promise<ClosedTrade[] | undefined> {
    return undefined; // DWX_CAPABILITIES.history is false
  }
  async trade(request: TradeRequest): Promise<TradeReply> {
    return (await this.#get()).trade(request);
  }
  async close(): Promise<void> {
    if (this.#client) await (await this.#client).close();
  }
}
