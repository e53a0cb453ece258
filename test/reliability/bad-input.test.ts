// The bad-input corpus: command-line arguments, agents.yml and signal JSON that must be refused.
// Each case: exit 2 (or 4 where the risk checks deny), a message naming the problem, no stack
// trace, and nothing sent — exit 2: no request at all reaches any bridge; exit 4: the terminal was
// read (the risk checks need the account and the quote) but no order was sent.
// Every case has a paper agent of its own and runs with an agents.yml of that agent alone, so cases
// run a few at a time and a request is always charged to the case that made it.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startDesk, type Desk, type DeskAgent } from '../helpers/desk.js';
import { soloConfig, type Solo } from './solo.js';

interface Case {
  name: string;
  /** The command line; `A` stands for the case's agent. Config cases default to `status`. */
  args?: string[] | ((c: Ctx) => string[]);
  /** stdin */
  input?: string | ((c: Ctx) => string);
  /** A file or device as stdin, instead of `input` through a pipe. */
  stdinFile?: string;
  /** Prepares the case's directory (a FIFO, …) before the run. */
  setup?: (c: Ctx) => void;
  /** Config cases: the agents.yml to use instead of the agent's own (text, raw bytes, or a directory). */
  config?: (c: Ctx) => string | Buffer | { directory: string };
  /** Changes to the environment (undefined removes a variable). */
  env?: (c: Ctx) => Record<string, string | undefined>;
  exit: 2 | 4;
  message: RegExp;
  /** Text that must appear nowhere in the output (a literal token). */
  absent?: string;
}

interface Ctx {
  agent: string;
  solo: Solo;
  dir: string;
}

const A = 'A';

/** A valid agents.yml for the case's agent, with its port and token variable. */
function good(c: Ctx, mutate: (y: string) => string = (y) => y): string {
  return mutate(
    [
      'agents:',
      `  ${c.agent}:`,
      '    mt4:',
      '      host: 127.0.0.1',
      `      port: ${c.solo.port}`,
      `      token: \${${c.solo.tokenVar}}`,
      '    strategy:',
      '      pairs: [XAUUSD]',
      '    risk:',
      '      initial_balance: 1000',
      '      max_risk_per_trade: 0.02',
      '      max_daily_loss: 0.05',
      '      max_positions: 5',
      '      lot_size: 0.01',
      '',
    ].join('\n'),
  );
}
/** A FIFO in the case's directory, that nothing ever writes to: reading it would wait forever. */
const fifo = (name: string) => (c: Ctx) => {
  const p = join(c.dir, name);
  if (!existsSync(p)) execFileSync('mkfifo', [p]);
};
/** The case's agent again under another id, on the same port (without the `agents:` line). */
const twin = (c: Ctx) => good(c).replace('agents:\n', '').replaceAll(`  ${c.agent}:`, `  ${c.agent}_twin:`);
const replace = (from: string | RegExp, to: string) => (c: Ctx) => good(c, (y) => y.replace(from, to));
const append = (text: string) => (c: Ctx) => good(c) + text;

const SIGNAL = { symbol: 'XAUUSD', side: 'long', sl: 2640 };
const sig = (v: unknown) => JSON.stringify(v);
const signalCase = (name: string, input: string, message: RegExp): Case => ({
  name,
  args: ['signal', '-', '--yes', '--json'],
  input,
  exit: 2,
  message,
});

const trade = (...rest: string[]) => ['trade', A, 'buy', 'XAUUSD', ...rest];

const CASES: Record<'arguments' | 'agents.yml' | 'signal JSON', Case[]> = {
  arguments: [
    { name: 'trade: negative lots', args: trade('--yes', '--', '-0.01'), exit: 2, message: /lots "-0.01" is negative/ },
    { name: 'trade: zero lots', args: trade('0', '--yes'), exit: 2, message: /lots must be greater than 0, got "0"/ },
    { name: 'trade: NaN lots', args: trade('NaN', '--yes'), exit: 2, message: /lots "NaN" is not a number/ },
    { name: 'trade: 1e9 lots', args: trade('1e9', '--yes'), exit: 2, message: /lots "1e9" is not a number/ },
    { name: 'trade: Infinity lots', args: trade('Infinity', '--yes'), exit: 2, message: /lots "Infinity" is not a number/ },
    { name: 'trade: hexadecimal lots', args: trade('0x10', '--yes'), exit: 2, message: /lots "0x10" is not a number/ },
    { name: 'trade: empty lots', args: trade('', '--yes'), exit: 2, message: /lots "" is not a number/ },
    { name: 'trade: comma decimals', args: trade('0,01', '--yes'), exit: 2, message: /lots "0,01" uses a comma.*\n.*0\.01/ },
    { name: 'trade: 0.015 with a 0.01 step', args: trade('0.015', '--yes'), exit: 4, message: /LOTS_NOT_STEP_MULTIPLE/ },
    {
      name: 'trade: a million lots',
      args: trade('1000000', '--yes'),
      exit: 4,
      message: /LOTS_ABOVE_SYMBOL_MAX[\s\S]*LOTS_ABOVE_AGENT_MAX/,
    },
    {
      name: 'trade: unknown symbol',
      args: ['trade', A, 'buy', 'FOOBAR', '0.01', '--yes'],
      exit: 2,
      message: /unknown symbol FOOBAR: arg_\d+ does not trade it/,
    },
    {
      name: 'trade: misspelt symbol',
      args: ['trade', A, 'buy', 'XAUSUD', '0.01', '--yes'],
      exit: 2,
      message: /unknown symbol XAUSUD: .*\(did you mean XAUUSD\?\); nothing was sent/,
    },
    {
      name: 'trade: not a symbol name',
      args: ['trade', A, 'buy', 'XAU USD', '0.01', '--yes'],
      exit: 2,
      message: /"XAU USD" is not a symbol name/,
    },
    {
      name: 'trade: unknown agent',
      args: ['trade', 'agent_nope', 'buy', 'XAUUSD', '0.01', '--yes'],
      exit: 2,
      message: /unknown agent "agent_nope"/,
    },
    {
      name: 'trade: side neither buy nor sell',
      args: ['trade', A, 'up', 'XAUUSD', '0.01', '--yes'],
      exit: 2,
      message: /side "up" is neither buy nor sell/,
    },
    { name: 'trade: stop loss above a buy', args: trade('0.01', '--sl', '2700', '--yes'), exit: 4, message: /SL_WRONG_SIDE/ },
    { name: 'trade: take profit below a buy', args: trade('0.01', '--tp', '2600', '--yes'), exit: 4, message: /TP_WRONG_SIDE/ },
    {
      name: 'trade: stop loss below a sell',
      args: ['trade', A, 'sell', 'XAUUSD', '0.01', '--sl', '2600', '--yes'],
      exit: 4,
      message: /SL_WRONG_SIDE/,
    },
    {
      name: 'trade: stop loss so far the risk is exceeded',
      args: trade('0.01', '--sl', '2600', '--yes'),
      exit: 4,
      message: /RISK_PER_TRADE_EXCEEDED/,
    },
    { name: 'trade: negative stop loss', args: trade('0.01', '--sl=-5', '--yes'), exit: 2, message: /--sl "-5" is negative/ },
    { name: 'trade: NaN stop loss', args: trade('0.01', '--sl', 'NaN', '--yes'), exit: 2, message: /--sl "NaN" is not a number/ },
    { name: 'trade: zero stop loss', args: trade('0.01', '--sl', '0', '--yes'), exit: 2, message: /--sl must be greater than 0/ },
    { name: 'trade: exponent take profit', args: trade('0.01', '--tp', '3e3', '--yes'), exit: 2, message: /--tp "3e3" is not a number/ },
    {
      name: 'trade: lots and --risk together',
      args: trade('0.01', '--risk', '1%', '--sl', '2640', '--yes'),
      exit: 2,
      message: /lots \(0\.01\) and --risk contradict each other/,
    },
    {
      name: 'trade: --risk and --risk-money together',
      args: trade('--risk', '1%', '--risk-money', '5', '--sl', '2640', '--yes'),
      exit: 2,
      message: /--risk and --risk-money contradict each other/,
    },
    {
      name: 'trade: --risk without %',
      args: trade('--risk', '1', '--sl', '2640', '--yes'),
      exit: 2,
      message: /--risk "1" is not a percentage/,
    },
    {
      name: 'trade: --risk 150%',
      args: trade('--risk', '150%', '--sl', '2640', '--yes'),
      exit: 2,
      message: /--risk 150% must be more than 0% and at most 100%/,
    },
    { name: 'trade: --risk 0%', args: trade('--risk', '0%', '--sl', '2640', '--yes'), exit: 2, message: /--risk 0% must be more than 0%/ },
    { name: 'trade: --risk without a stop loss', args: trade('--risk', '1%', '--yes'), exit: 2, message: /--risk needs a stop loss/ },
    {
      name: 'trade: negative --risk-money',
      args: trade('--risk-money=-5', '--sl', '2640', '--yes'),
      exit: 2,
      message: /--risk-money "-5" is negative/,
    },
    {
      name: 'trade: non-ASCII comment',
      args: trade('0.01', '--comment', 'café', '--yes'),
      exit: 2,
      message: /--comment may only hold printable ASCII/,
    },
    {
      name: 'trade: side and symbol missing off a terminal',
      args: ['trade', A],
      exit: 2,
      message: /missing <side> <symbol>: not on a terminal/,
    },
    { name: 'trade: no --yes off a terminal', args: trade('0.01'), exit: 2, message: /--yes/ },
    { name: 'close: ticket not a number', args: ['close', A, 'abc'], exit: 2, message: /ticket "abc" is not a ticket number/ },
    { name: 'close: negative ticket', args: ['close', A, '--', '-5'], exit: 2, message: /ticket "-5" is not a ticket number/ },
    { name: 'close: ticket 0', args: ['close', A, '0'], exit: 2, message: /ticket "0" is not a ticket number/ },
    { name: 'close: a 20-digit ticket', args: ['close', A, '99999999999999999999'], exit: 2, message: /is not a ticket number/ },
    { name: 'close: comma --lots', args: ['close', A, '123', '--lots', '0,5'], exit: 2, message: /--lots "0,5" uses a comma/ },
    { name: 'close: NaN --lots', args: ['close', A, '123', '--lots', 'NaN'], exit: 2, message: /--lots "NaN" is not a number/ },
    { name: 'modify: nothing to change', args: ['modify', A, '123'], exit: 2, message: /nothing to change: give --sl and\/or --tp/ },
    { name: 'modify: --sl not a price', args: ['modify', A, '123', '--sl', 'abc'], exit: 2, message: /--sl "abc" is not a number/ },
    { name: 'modify: negative --tp', args: ['modify', A, '123', '--tp=-1'], exit: 2, message: /--tp "-1" is negative/ },
    {
      name: 'close-all: --deadline not a duration',
      args: ['close-all', A, '--yes', '--deadline', 'soon'],
      exit: 2,
      message: /--deadline "soon" is not a duration/,
    },
    {
      name: 'close-all: --deadline 0',
      args: ['close-all', A, '--yes', '--deadline', '0'],
      exit: 2,
      message: /--deadline 0 is out of range/,
    },
    {
      name: 'close-all: --deadline in hours',
      args: ['close-all', A, '--yes', '--deadline', '2h'],
      exit: 2,
      message: /--deadline "2h" is not a duration/,
    },
    {
      name: 'close-all: --symbol not a symbol name',
      args: ['close-all', A, '--yes', '--symbol', 'XAU USD'],
      exit: 2,
      message: /"XAU USD" is not a symbol name/,
    },
    { name: 'close-all: no --yes off a terminal', args: ['close-all', A], exit: 2, message: /--yes/ },
    { name: 'panic: no --yes off a terminal', args: ['panic', '--agent', A], exit: 2, message: /refusing to panic without confirmation/ },
    { name: 'panic: unknown agent', args: ['panic', '--agent', 'agent_nope', '--yes'], exit: 2, message: /unknown agent "agent_nope"/ },
    {
      name: 'panic: --deadline not a duration',
      args: ['panic', '--agent', A, '--yes', '--deadline', 'forever'],
      exit: 2,
      message: /--deadline "forever" is not a duration/,
    },
    {
      name: 'history: --since not a time',
      args: ['history', A, '--since', 'last tuesday'],
      exit: 2,
      message: /--since "last tuesday" is not a time/,
    },
    {
      name: 'history: --since an impossible date',
      args: ['history', A, '--since', '2026-13-45'],
      exit: 2,
      message: /--since "2026-13-45" is not a time/,
    },
    { name: '--timeout 0', args: ['--timeout', '0', 'status'], exit: 2, message: /--timeout 0 is out of range/ },
    {
      name: '--timeout 3 (no unit: not 3 ms)',
      args: ['--timeout', '3', 'status'],
      exit: 2,
      message: /--timeout 3 has no unit\nhint: Write 3s or 3000ms \(1ms to 10m/,
    },
    { name: '--timeout 11m', args: ['--timeout', '11m', 'status'], exit: 2, message: /--timeout 11m is out of range: 1ms to 10m/ },
    {
      name: 'close-all: --deadline 0.5 (seconds)',
      args: ['close-all', A, '--yes', '--deadline', '0.5'],
      exit: 2,
      message: /--deadline 0\.5 is out of range: 1s to 60m; a number alone is seconds/,
    },
    {
      name: 'panic: --deadline 61m',
      args: ['panic', '--agent', A, '--yes', '--deadline', '61m'],
      exit: 2,
      message: /--deadline 61m is out of range: 1s to 60m/,
    },
    {
      name: 'watch: --interval 100ms',
      args: ['watch', A, '--interval', '100ms'],
      exit: 2,
      message: /--interval 100ms is out of range: 250ms to 60m/,
    },
    {
      name: 'watch: --interval 0.1 (seconds)',
      args: ['watch', A, '--interval', '0.1'],
      exit: 2,
      message: /--interval 0\.1 is out of range: 250ms to 60m; a number alone is seconds/,
    },
    {
      name: 'history: --since 300000000d',
      args: ['history', A, '--since', '300000000d'],
      exit: 2,
      message: /--since 300000000d is out of range: an age may be at most 10 years \(3653d\)/,
    },
    {
      name: 'history: --since 1000000w',
      args: ['history', A, '--since', '1000000w'],
      exit: 2,
      message: /--since 1000000w is out of range: an age may be at most 10 years/,
    },
    {
      name: 'history: --since an age of 400 digits',
      args: ['history', A, '--since', `${'9'.repeat(400)}m`],
      exit: 2,
      message: /--since 9+m is out of range/,
    },
    {
      name: 'history: --since 2026-02-30',
      args: ['history', A, '--since', '2026-02-30'],
      exit: 2,
      message: /--since "2026-02-30" is not a time: February 2026 has 28 days/,
    },
    {
      name: 'history: --since 2025-02-29 (not a leap year)',
      args: ['history', A, '--since', '2025-02-29'],
      exit: 2,
      message: /--since "2025-02-29" is not a time: February 2025 has 28 days/,
    },
    {
      name: 'history: --until at 25:00',
      args: ['history', A, '--until', '2026-11-20T25:00:00Z'],
      exit: 2,
      message: /--until "2026-11-20T25:00:00Z" is not a time: 25:00:00 is not a time of day/,
    },
    {
      name: 'history: --since before 1970',
      args: ['history', A, '--since', '1969-12-31'],
      exit: 2,
      message: /--since 1969-12-31 is out of range: dates start at 1970-01-01/,
    },
    {
      name: 'history: --until in 2999',
      args: ['history', A, '--until', '2999-01-01'],
      exit: 2,
      message: /--until 2999-01-01 is out of range: at most a day ahead/,
    },
    {
      name: 'history: --until before --since',
      args: ['history', A, '--since', '2026-11-08', '--until', '2026-11-01'],
      exit: 2,
      message: /--since must be before --until\n/,
    },
    {
      name: 'history: --since in an hour, no --until',
      args: () => ['history', A, '--since', new Date(Date.now() + 3_600_000).toISOString()],
      exit: 2,
      message: /--since must be before --until \(now, when --until is not given\)/,
    },
    {
      name: 'journal: --since 1000000w',
      args: ['journal', '--since', '1000000w'],
      exit: 2,
      message: /--since 1000000w is out of range: an age may be at most 10 years/,
    },
    { name: '--timeout not a duration', args: ['--timeout', 'abc', 'status'], exit: 2, message: /--timeout "abc" is not a duration/ },
    {
      name: '--quiet with --verbose',
      args: ['--quiet', '--verbose', 'status'],
      exit: 2,
      message: /--quiet.*cannot be used with.*--verbose|--verbose.*cannot be used with.*--quiet/,
    },
    {
      name: 'summary: --json with --format prometheus',
      args: ['summary', '--json', '--format', 'prometheus'],
      exit: 2,
      message: /--json and --format prometheus contradict each other/,
    },
    {
      name: 'summary: unknown --format',
      args: ['summary', '--format', 'xml'],
      exit: 2,
      message: /Allowed choices are table, json, prometheus/,
    },
    { name: 'a misspelt command', args: ['sumary'], exit: 2, message: /unknown command 'sumary'[\s\S]*summary/ },
    { name: 'an unknown option', args: ['summary', '--frobnicate'], exit: 2, message: /unknown option '--frobnicate'/ },
    { name: 'resume: an agent and --all', args: ['resume', A, '--all', '--yes'], exit: 2, message: /--all/ },
    { name: 'signal: no stop loss', args: ['signal', 'XAUUSD', 'long', '--yes'], exit: 2, message: /sl: missing: expected the stop loss/ },
    {
      name: 'signal: side up',
      args: ['signal', 'XAUUSD', 'up', '--sl', '2640', '--yes'],
      exit: 2,
      message: /side: expected long, short, buy or sell, got "up"/,
    },
    {
      name: 'signal: stop loss above the take profit',
      args: ['signal', 'XAUUSD', 'long', '--sl', '2660', '--tp', '2650', '--yes'],
      exit: 2,
      message: /for a long signal the stop loss \(2660\) must be below the take profit \(2650\)/,
    },
    {
      name: 'signal: --confidence as a percentage',
      args: ['signal', 'XAUUSD', 'long', '--sl', '2640', '--confidence', '78', '--yes'],
      exit: 2,
      message: /a fraction, not a percentage: write 0\.78 for 78%/,
    },
    {
      name: 'signal: --confidence a word',
      args: ['signal', 'XAUUSD', 'long', '--sl', '2640', '--confidence', 'high', '--yes'],
      exit: 2,
      message: /--confidence "high" is not a number/,
    },
    {
      name: 'signal: --id with a space',
      args: ['signal', 'XAUUSD', 'long', '--sl', '2640', '--id', 'two words', '--yes'],
      exit: 2,
      message: /id: expected an id/,
    },
    {
      name: 'signal: arguments and --file',
      args: ['signal', 'XAUUSD', 'long', '--sl', '2640', '--file', 'x.json', '--yes'],
      exit: 2,
      message: /give the signal one way, not the <symbol> <side> arguments and --file/,
    },
    {
      name: 'signal: stdin and --sl',
      args: ['signal', '-', '--sl', '2640', '--yes'],
      input: sig(SIGNAL),
      exit: 2,
      message: /--sl belongs to the command-line form/,
    },
    {
      name: 'signal: --from-url not http',
      args: ['signal', '--from-url', 'ftp://example.com/s', '--yes'],
      exit: 2,
      message: /--from-url must be an http:\/\/ or https:\/\/ URL/,
    },
    { name: 'signal: no signal at all', args: ['signal', '--yes'], exit: 2, message: /no signal given/ },
    { name: 'signal: no --yes off a terminal', args: ['signal', 'XAUUSD', 'long', '--sl', '2640'], exit: 2, message: /--yes/ },
  ],

  'agents.yml': [
    {
      name: 'YAML syntax error',
      config: (c) => `agents:\n  ${c.agent}: {mt4: [host\n`,
      exit: 2,
      message: /is not valid YAML[\s\S]*:\d+:\d+: /,
    },
    { name: 'tab indentation', config: replace('    strategy:', '\tstrategy:'), exit: 2, message: /is not valid YAML[\s\S]*[Tt]ab/ },
    {
      name: 'a word for max_positions',
      config: replace('max_positions: 5', 'max_positions: two'),
      exit: 2,
      message: /:\d+:\d+: agents\.\w+\.risk\.max_positions: expected an integer >= 1, got "two"/,
    },
    { name: 'a word for the port', config: replace(/port: \d+/, 'port: eighty'), exit: 2, message: /agents\.\w+\.mt4\.port: / },
    { name: 'a list for the host', config: replace('host: 127.0.0.1', 'host: [127.0.0.1]'), exit: 2, message: /agents\.\w+\.mt4\.host: / },
    {
      name: 'enabled: yes (a string in YAML 1.2)',
      config: replace('  mt4:', '  enabled: yes\n    mt4:'),
      exit: 2,
      message: /agents\.\w+\.enabled: [\s\S]*true/,
    },
    {
      name: 'an unknown key',
      config: replace('max_positions: 5', 'max_positon: 5'),
      exit: 2,
      message: /unknown key `max_positon`; did you mean `max_positions`\?/,
    },
    {
      name: 'a key in the wrong section',
      config: replace('      lot_size: 0.01', '      lot_size: 0.01\n      port: 8081'),
      exit: 2,
      message: /`port` belongs under `mt4:`, not under `risk:`/,
    },
    { name: 'an unknown top-level key', config: append('agent:\n  x: 1\n'), exit: 2, message: /unknown key `agent`/ },
    {
      name: 'two agents on one port',
      config: (c) => good(c) + twin(c),
      exit: 2,
      message: /\.mt4\.port: 127\.0\.0\.1:\d+ is already used by/,
    },
    ...['"127.1"', '"2130706433"', '"::ffff:127.0.0.1"', '0x7f.0.0.1', 'localhost.'].map(
      (host): Case => ({
        name: `two agents on one terminal: 127.0.0.1 and ${host}`,
        config: (c) => good(c) + twin(c).replace('host: 127.0.0.1', `host: ${host}`),
        exit: 2,
        message: /:\d+:\d+: agents\.\w+_twin\.mt4\.port: \S+:\d+ is already used by \w+ \(127\.0\.0\.1 and \S+ are the same machine\)/,
      }),
    ),
    {
      name: 'host 0.0.0.0 (the unspecified address)',
      config: replace('host: 127.0.0.1', 'host: 0.0.0.0'),
      exit: 2,
      message: /agents\.yml:4:13: agents\.\w+\.mt4\.host: 0\.0\.0\.0 is the unspecified address: to a server it means "every address"/,
    },
    {
      name: 'host :: (the unspecified IPv6 address)',
      config: replace('host: 127.0.0.1', 'host: "::"'),
      exit: 2,
      message: /agents\.yml:4:13: agents\.\w+\.mt4\.host: :: is the unspecified address/,
    },
    {
      name: 'host 256.0.0.1',
      config: replace('host: 127.0.0.1', 'host: 256.0.0.1'),
      exit: 2,
      message: /agents\.\w+\.mt4\.host: "256\.0\.0\.1" is not a host name or IP address: it is not a valid IPv4 address/,
    },
    {
      name: 'the token variable not set',
      env: (c) => ({ [c.solo.tokenVar]: undefined }),
      exit: 2,
      message: /needs a token: environment variable MT4GW_TEST_TOKEN_\d+ is not set/,
    },
    { name: 'the token variable empty', env: (c) => ({ [c.solo.tokenVar]: '' }), exit: 2, message: /MT4GW_TEST_TOKEN_\d+/ },
    {
      name: 'a literal token',
      config: replace(/token: .*/, 'token: tok-LITERAL-s3cr3t-0042'),
      exit: 2,
      message: /holds a literal token/,
      absent: 'tok-LITERAL-s3cr3t-0042',
    },
    { name: 'port 70000', config: replace(/port: \d+/, 'port: 70000'), exit: 2, message: /agents\.\w+\.mt4\.port: [\s\S]*70000/ },
    { name: 'port 0', config: replace(/port: \d+/, 'port: 0'), exit: 2, message: /agents\.\w+\.mt4\.port: / },
    { name: 'a negative port', config: replace(/port: \d+/, 'port: -8081'), exit: 2, message: /agents\.\w+\.mt4\.port: / },
    {
      name: 'timeout_ms 0',
      config: replace('      host: 127.0.0.1', '      host: 127.0.0.1\n      timeout_ms: 0'),
      exit: 2,
      message: /agents\.\w+\.mt4\.timeout_ms: /,
    },
    { name: 'an empty file', config: () => '', exit: 2, message: /is empty/ },
    { name: 'blanks only', config: () => '\n   \n\t\n', exit: 2, message: /is empty/ },
    { name: 'comments only', config: () => '# agents:\n#   agent_1: {}\n', exit: 2, message: /has no settings \(only comments\)/ },
    {
      name: 'a 10 MB file',
      config: (c) => `${good(c)}# ${'x'.repeat(10 * 1024 * 1024)}\n`,
      exit: 2,
      message: /is 10\.0 MiB; a config file may be at most 1 MiB/,
    },
    {
      name: 'binary garbage',
      config: () => Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)),
      exit: 2,
      message: /is not a text file: it contains a NUL byte/,
    },
    {
      name: 'not UTF-8',
      config: (c) => Buffer.concat([Buffer.from(good(c)), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x0a])]),
      exit: 2,
      message: /is not valid UTF-8 text/,
    },
    {
      name: 'a YAML bomb of aliases',
      config: (c) =>
        good(c) +
        [
          'x-bomb:',
          '  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]',
          '  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
          '  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
          '  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
          '  e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]',
          '',
        ].join('\n'),
      exit: 2,
      message: /expands its aliases too many times \(more than 100\); refusing it as a possible "billion laughs" attack/,
    },
    {
      name: 'a duplicate key',
      config: replace('      lot_size: 0.01', '      lot_size: 0.01\n      lot_size: 0.02'),
      exit: 2,
      message: /Map keys must be unique/,
    },
    { name: 'two YAML documents', config: (c) => `${good(c)}---\n${good(c)}`, exit: 2, message: /is not valid YAML/ },
    {
      name: 'no agents key',
      config: () => 'defaults:\n  mt4: {timeout_ms: 3000}\n',
      exit: 2,
      message: /agents: .*at least one agent is required/,
    },
    { name: 'agents as a list', config: () => 'agents: []\n', exit: 2, message: /agents: / },
    {
      name: 'an id that is not its key',
      config: replace('    mt4:', '    id: agent_other\n    mt4:'),
      exit: 2,
      message: /id "agent_other" does not match its key/,
    },
    {
      name: 'token and token_file together',
      config: replace(/(token: .*)/, '$1\n      token_file: t.token'),
      exit: 2,
      message: /set either `token` or `token_file`, not both/,
    },
    {
      name: 'a token file that does not exist',
      config: replace(/token: .*/, 'token_file: no-such.token'),
      exit: 2,
      message: /no-such\.token/,
    },
    {
      name: 'a percentage for a fraction',
      config: replace('max_risk_per_trade: 0.02', 'max_risk_per_trade: 2%'),
      exit: 2,
      message: /fractions, not percentages/,
    },
    {
      name: 'a negative balance',
      config: replace('initial_balance: 1000', 'initial_balance: -1000'),
      exit: 2,
      message: /agents\.\w+\.risk\.initial_balance: /,
    },
    {
      name: 'max_lots below lot_size',
      config: replace('lot_size: 0.01', 'lot_size: 0.05\n      max_lots: 0.01'),
      exit: 2,
      message: /max_lots/,
    },
    {
      name: 'a URL for the host',
      config: replace('host: 127.0.0.1', 'host: http://127.0.0.1:8081'),
      exit: 2,
      message: /agents\.\w+\.mt4\.host: /,
    },
    { name: 'an agent id starting with a digit', config: (c) => good(c).replace(`  ${c.agent}:`, '  1agent:'), exit: 2, message: /1agent/ },
    {
      name: 'a YAML merge key',
      config: (c) => `x-base: &base {initial_balance: 1000}\n${good(c).replace('    risk:\n', '    risk:\n      <<: *base\n')}`,
      exit: 2,
      message: /<<|merge/,
    },
    { name: 'a directory', config: (c) => ({ directory: join(c.dir, 'conf.d') }), exit: 2, message: /is a directory, not a config file/ },
    {
      name: '--config /dev/zero (a device without end)',
      args: ['--config', '/dev/zero', 'status'],
      exit: 2,
      message: /\/dev\/zero is not a regular file\nhint: agents\.yml must be a plain file \(not a pipe or a device\)/,
    },
    {
      name: 'a FIFO as agents.yml (never waited on)',
      setup: fifo('agents.fifo'),
      args: ['--config', 'agents.fifo', 'status'],
      exit: 2,
      message: /agents\.fifo is not a regular file/,
    },
    {
      name: 'a token file that is a device',
      config: replace(/token: .*/, 'token_file: /dev/zero'),
      exit: 2,
      message: /token file \/dev\/zero is not a regular file/,
    },
    {
      name: 'a token file that is a FIFO (never waited on)',
      setup: fifo('token.fifo'),
      config: replace(/token: .*/, 'token_file: token.fifo'),
      exit: 2,
      message: /token file .*token\.fifo is not a regular file/,
    },
    {
      name: 'a token file over 64 KiB',
      setup: (c) => writeFileSync(join(c.dir, 'big.token'), 'x'.repeat(70_000), { mode: 0o600 }),
      config: replace(/token: .*/, 'token_file: big.token'),
      exit: 2,
      message: /token file .*big\.token is 69 KiB, too large to hold a token/,
    },
    {
      name: 'a file that does not exist',
      args: ['--config', 'no-such-agents.yml', 'status'],
      exit: 2,
      message:
        /config file no-such-agents\.yml \(given with --config\) cannot be used: it does not exist\n.*Check the path \(given with --config\)/,
    },
  ],

  'signal JSON': [
    signalCase('missing sl', sig({ symbol: 'XAUUSD', side: 'long' }), /sl: missing: expected the stop loss/),
    signalCase('missing symbol', sig({ side: 'long', sl: 2640 }), /symbol: missing/),
    signalCase('missing side', sig({ symbol: 'XAUUSD', sl: 2640 }), /side: missing/),
    signalCase('sl as a string', sig({ ...SIGNAL, sl: '2640' }), /sl: .*got "2640" \(write numbers without quotes\)/),
    signalCase('NaN (not JSON)', '{"symbol":"XAUUSD","side":"long","sl":NaN}', /is not JSON/),
    signalCase(
      '1e999 (Infinity)',
      '{"symbol":"XAUUSD","side":"long","sl":1e999}',
      /sl: expected the stop loss: a price > 0 and below 100000000/,
    ),
    signalCase('a huge number', sig({ ...SIGNAL, sl: 1e300 }), /sl: expected the stop loss: a price > 0 and below 100000000/),
    signalCase('a negative stop loss', sig({ ...SIGNAL, sl: -2640 }), /sl: expected the stop loss/),
    signalCase('zero stop loss', sig({ ...SIGNAL, sl: 0 }), /sl: expected the stop loss/),
    signalCase(
      'confidence as a percentage',
      sig({ ...SIGNAL, confidence: 78 }),
      /confidence: .*a fraction, not a percentage: write 0\.78 for 78%/,
    ),
    signalCase('confidence as a word', sig({ ...SIGNAL, confidence: 'high' }), /confidence: expected a confidence from 0 to 1/),
    signalCase('a nested signal', sig({ signal: SIGNAL }), /signal: unknown key/),
    signalCase('a nested stop loss', sig({ ...SIGNAL, sl: { price: 2640 } }), /sl: .*got a mapping/),
    signalCase('a list of lists', sig([[SIGNAL]]), /\[0\]: expected a signal object/),
    signalCase('an unknown key', sig({ ...SIGNAL, stop_loss: 2640 }), /stop_loss: unknown key/),
    signalCase('created_at in seconds', sig({ ...SIGNAL, created_at: 1732090500 }), /created_at: .*a time string, not a number of seconds/),
    signalCase(
      'created_at without a zone',
      sig({ ...SIGNAL, created_at: '2026-11-20T08:15:00' }),
      /created_at: expected an ISO-8601 time with its zone/,
    ),
    signalCase('an id with a space', sig({ ...SIGNAL, id: 'two words' }), /id: expected an id/),
    signalCase('an id of 100,000 characters', sig({ ...SIGNAL, id: 'x'.repeat(100_000) }), /id: expected an id of 1 to 128/),
    signalCase('side as a number', sig({ ...SIGNAL, side: 1 }), /side: expected long, short, buy or sell, got 1/),
    signalCase(
      'stop loss above the take profit',
      sig({ ...SIGNAL, tp: 2630 }),
      /for a long signal the stop loss \(2640\) must be below the take profit \(2630\)/,
    ),
    signalCase(
      'a key given twice (JSON.parse would keep 2700)',
      '{"symbol":"XAUUSD","side":"long","sl":2600,"sl":2700}',
      /the signal from stdin is malformed; nothing was sent\n {2}sl: duplicate key "sl": given more than once in the same object/,
    ),
    signalCase(
      'a key given twice, once with an escape',
      '{"symbol":"XAUUSD","side":"long","sl":2640,"s\\u006c":2700}',
      /\n {2}sl: duplicate key "sl"/,
    ),
    signalCase(
      'a key given twice in the second signal of a list',
      `[${sig({ ...SIGNAL, id: 'a' })},{"id":"b","symbol":"XAUUSD","side":"long","side":"short","sl":2640}]`,
      /\n {2}\[1\]\.side: duplicate key "side"/,
    ),
    signalCase('empty input', '', /is empty/),
    signalCase('not JSON', 'XAUUSD long sl 2640', /is not JSON/),
    signalCase('JSON followed by garbage', `${sig(SIGNAL)} trailing`, /is not JSON/),
    signalCase('null', 'null', /signal: expected a signal object/),
    signalCase(
      '101 signals',
      sig(Array.from({ length: 101 }, (_, i) => ({ ...SIGNAL, id: `s${i}` }))),
      /101 signals in one delivery; at most 100/,
    ),
    signalCase('one bad signal in a list', sig([SIGNAL, { ...SIGNAL, sl: 'x' }]), /\[1\]\.sl: /),
    signalCase(
      'one id for two signals',
      sig([
        { ...SIGNAL, id: 'dup' },
        { ...SIGNAL, id: 'dup', sl: 2641 },
      ]),
      /id "dup" names two different signals/,
    ),
    signalCase('deeply nested lists', `${'['.repeat(5000)}${']'.repeat(5000)}`, /\[0\]: expected a signal object/),
    signalCase('more than 1 MiB', sig({ ...SIGNAL, id: 'x'.repeat(1_100_000) }), /holds more than 1048576 bytes of signals/),
    {
      name: '--file /dev/zero (stat says 0 bytes, it never ends)',
      args: ['signal', '--file', '/dev/zero', '--yes'],
      exit: 2,
      message: /\/dev\/zero holds more than 1048576 bytes of signals; nothing was sent/,
    },
    {
      name: '--file /dev/urandom',
      args: ['signal', '--file', '/dev/urandom', '--yes'],
      exit: 2,
      message: /\/dev\/urandom holds more than 1048576 bytes of signals/,
    },
    {
      name: '--file /dev/stdin with /dev/zero as stdin',
      args: ['signal', '--file', '/dev/stdin', '--yes'],
      stdinFile: '/dev/zero',
      exit: 2,
      message: /\/dev\/stdin holds more than 1048576 bytes of signals/,
    },
    {
      name: '--file a FIFO fed 3 MiB',
      setup: (c) => {
        fifo('signal.fifo')(c);
        // The writer blocks until mt4gw opens the FIFO, and dies of SIGPIPE when it stops reading.
        spawn('sh', ['-c', 'exec head -c 3145728 /dev/zero > signal.fifo'], { cwd: c.dir, stdio: 'ignore', timeout: 30_000 });
      },
      args: ['signal', '--file', 'signal.fifo', '--yes'],
      exit: 2,
      message: /signal\.fifo holds more than 1048576 bytes of signals/,
    },
    {
      name: 'stdin from /dev/zero',
      args: ['signal', '-', '--yes'],
      stdinFile: '/dev/zero',
      exit: 2,
      message: /stdin holds more than 1048576 bytes of signals/,
    },
    {
      name: '--file a regular file over 1 MiB (refused unread)',
      setup: (c) => writeFileSync(join(c.dir, 'big.json'), ' '.repeat(2 * 1024 * 1024)),
      args: ['signal', '--file', 'big.json', '--yes'],
      exit: 2,
      message: /big\.json holds more than 1048576 bytes of signals/,
    },
    {
      name: '--file a /proc file (size 0, read bounded)',
      args: ['signal', '--file', '/proc/self/status', '--yes'],
      exit: 2,
      message: /the signal from \/proc\/self\/status is not JSON/,
    },
    { name: '--file a directory', args: ['signal', '--file', '.', '--yes'], exit: 2, message: /cannot read --file \.: it is a directory/ },
    {
      name: '--file that does not exist',
      args: ['signal', '--file', 'no-such-signal.json', '--yes'],
      exit: 2,
      message: /cannot read --file no-such-signal\.json: no such file/,
    },
  ],
};

const all = Object.entries(CASES).flatMap(([group, cases]) =>
  cases.map((c, i) => ({ group, c, agent: `${group === 'arguments' ? 'arg' : group === 'agents.yml' ? 'cfg' : 'sig'}_${i}` })),
);

let desk: Desk;
beforeAll(async () => {
  const agent = (id: string): DeskAgent => ({ id, name: id, pairs: ['XAUUSD'], balance: 1000, risk: 0.02, maxPositions: 5, lotSize: 0.01 });
  desk = await startDesk(all.map((x) => agent(x.agent)));
  for (const a of desk.sim.agents) desk.sim.agent(a.id).setPrice('XAUUSD', 2650);
}, 60_000);
afterAll(async () => {
  await desk?.close();
});

// A few at a time: the cases are short, and the machine has two cores shared with other files.
const MAX_RUNNING = 3;
let running = 0;
const queue: Array<() => void> = [];
async function slot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= MAX_RUNNING) await new Promise<void>((r) => queue.push(r));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    queue.shift()?.();
  }
}

describe('the corpus', () => {
  it('has at least 60 cases, in the three groups', () => {
    expect(all.length).toBeGreaterThanOrEqual(60);
    for (const cases of Object.values(CASES)) expect(cases.length).toBeGreaterThanOrEqual(20);
  });
});

for (const [group, _cases] of Object.entries(CASES)) {
  describe.concurrent(`bad input: ${group}`, () => {
    for (const { c, agent } of all.filter((x) => x.group === group)) {
      it(`${c.name} → exit ${c.exit}`, { timeout: 60_000 }, () =>
        slot(async () => {
          const solo = soloConfig(desk, agent);
          const caseDir = join(desk.dir, `case-${agent}`);
          mkdirSync(caseDir, { recursive: true });
          const ctx: Ctx = { agent, solo, dir: caseDir };
          let config = solo.path;
          if (c.config) {
            const text = c.config(ctx);
            if (typeof text === 'object' && !Buffer.isBuffer(text)) {
              mkdirSync(text.directory, { recursive: true });
              config = text.directory;
            } else {
              config = join(caseDir, 'agents.yml');
              writeFileSync(config, text);
            }
          }
          const env = { ...desk.env };
          for (const [k, v] of Object.entries(c.env?.(ctx) ?? {})) {
            if (v === undefined) delete env[k];
            else env[k] = v;
          }
          const args = (typeof c.args === 'function' ? c.args(ctx) : (c.args ?? ['status'])).map((a) => (a === A ? agent : a));
          c.setup?.(ctx);
          const input = typeof c.input === 'function' ? c.input(ctx) : c.input;
          const before = readTradingState();
          const ctl = desk.sim.agent(agent);
          ctl.clearRequests();
          const r = await runCli(['--config', config, ...args], {
            env,
            cwd: caseDir,
            ...(input !== undefined ? { input } : {}),
            ...(c.stdinFile !== undefined ? { stdinFile: c.stdinFile } : {}),
            timeoutMs: 30_000,
          });

          const why = `mt4gw ${args.join(' ')}\n--- stdout\n${r.stdout.slice(0, 2000)}\n--- stderr\n${r.stderr.slice(0, 4000)}`;
          expect(r.code, why).toBe(c.exit);
          expect(r.stderr, why).toMatch(c.message);
          expect(r.stderr, why).not.toMatch(/^internal error|\n\s+at /m);
          if (c.absent) expect(r.stdout + r.stderr).not.toContain(c.absent);
          const requests = ctl.requests();
          if (c.exit === 2)
            expect(
              requests.map((q) => `${q.method} ${q.path}`),
              why,
            ).toEqual([]);
          else
            expect(
              requests.filter((q) => q.path === '/trade'),
              why,
            ).toEqual([]);
          // Nothing halted: a refused panic halts nothing.
          expect(readTradingState()).toBe(before);
        }),
      );
    }
  });
}

function readTradingState(): string {
  try {
    return readFileSync(join(desk.dir, 'state', 'trading-state.json'), 'utf8');
  } catch {
    return '';
  }
}
