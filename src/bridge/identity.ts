// The right terminal: when agents.yml names the account (mt4.account, and mt4.server when set), every
// command first compares it with what the terminal reports, and acts on nothing else. Two agents with
// swapped ports, or a terminal logged into another account, would otherwise trade the wrong account
// under the wrong limits. Reads wait for the check too (a mismatch shows as that agent offline, with
// both logins), and a trade is never sent before the check has passed.
import { BridgeError } from './errors.js';
import type { Account, ClosedTrade, PendingOrder, Position, SymbolSpec, Tick, TradeReply, TradeRequest } from './schemas.js';
import type { Bridge } from './transport.js';

export interface ExpectedIdentity {
  /** The MT4 login, as agents.yml writes it (digits). */
  account?: string | undefined;
  /** The broker server's name; compared without regard to case or surrounding space. */
  server?: string | undefined;
}

/** Why `account` is not the expected one, or undefined when it is. */
export function identityMismatch(expected: ExpectedIdentity, account: Pick<Account, 'login' | 'server'>): string | undefined {
  const problems: string[] = [];
  if (expected.account !== undefined && String(account.login) !== expected.account.trim()) {
    problems.push(`login ${account.login}, but agents.yml says mt4.account ${expected.account}`);
  }
  const norm = (s: string) => s.trim().toLowerCase();
  if (expected.server !== undefined && norm(account.server) !== norm(expected.server)) {
    problems.push(`server ${JSON.stringify(account.server)}, but agents.yml says mt4.server ${JSON.stringify(expected.server)}`);
  }
  return problems.length ? `the terminal reports ${problems.join(', and ')}` : undefined;
}

/** Wraps a bridge so nothing is read or sent before the terminal's account is the configured one. */
export function withIdentityCheck(inner: Bridge, expected: ExpectedIdentity): Bridge {
  if (expected.account === undefined && expected.server === undefined) return inner;
  return new IdentityCheckedBridge(inner, expected);
}

class IdentityCheckedBridge implements Bridge {
  readonly agent: string;
  readonly transport: Bridge['transport'];
  readonly capabilities: Bridge['capabilities'];
  readonly #inner: Bridge;
  readonly #expected: ExpectedIdentity;
  /** The first account() answer, checked; its value serves the caller's first account() too. */
  #checked: Promise<Account> | undefined;
  #firstUsed = false;

  constructor(inner: Bridge, expected: ExpectedIdentity) {
    this.#inner = inner;
    this.#expected = expected;
    this.agent = inner.agent;
    this.transport = inner.transport;
    this.capabilities = inner.capabilities;
  }

  #verified(account: Account): Account {
    const why = identityMismatch(this.#expected, account);
    if (why) {
      throw new BridgeError('wrong_account', this.agent, 'GET /account', `wrong terminal: ${why}; nothing was sent to it`);
    }
    return account;
  }

  #check(): Promise<Account> {
    this.#checked ??= this.#inner.account().then((a) => this.#verified(a));
    return this.#checked;
  }

  /** Runs a read alongside the check; its answer is only given once the check passed. */
  async #read<T>(read: () => Promise<T>): Promise<T> {
    const [check, value] = await Promise.allSettled([this.#check(), read()]);
    if (check.status === 'rejected') throw check.reason;
    if (value.status === 'rejected') throw value.reason;
    return value.value;
  }

  async account(): Promise<Account> {
    if (!this.#firstUsed) {
      this.#firstUsed = true;
      return this.#check();
    }
    return this.#verified(await this.#inner.account());
  }
  tick(symbol: string): Promise<Tick> {
    return this.#read(() => this.#inner.tick(symbol));
  }
  symbol(symbol: string): Promise<SymbolSpec | undefined> {
    return this.#read(() => this.#inner.symbol(symbol));
  }
  positions(): Promise<Position[]> {
    return this.#read(() => this.#inner.positions());
  }
  orders(): Promise<PendingOrder[]> {
    return this.#read(() => this.#inner.orders());
  }
  history(range?: { from?: Date; to?: Date }): Promise<ClosedTrade[] | undefined> {
    return this.#read(() => this.#inner.history(range));
  }
  async trade(request: TradeRequest): Promise<TradeReply> {
    await this.#check();
    return this.#inner.trade(request);
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}
