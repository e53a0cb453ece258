// Resolving agents' tokens from environment variables or token files, kept apart from the YAML
// parser and the schemas (load.ts): every command that talks to a bridge needs it, also when the
// config itself came from the cache (cache.ts). Never quotes a token in a message.
import fs from 'node:fs';
import { ConfigError } from '../errors.js';
import { readRegularFileCapped, type CappedRead } from './bounded-read.js';
import { agentLabel, errnoText, formatBytes, looseModeWarning } from './locate.js';
import { Secret } from './secret.js';
import type { AgentConfig } from './types.js';

/** Larger token files are refused: a token is a line, not a document. */
export const MAX_TOKEN_FILE_BYTES = 64 * 1024;

/** Control characters (line breaks included) cannot go into an HTTP header; never a valid token. */
const CONTROL = /[\u0000-\u001f\u007f]/;

export interface ResolvedToken {
  secret?: Secret;
  /** Set when the token file is readable or writable by group or others. */
  warning?: string;
}

/**
 * An agent's token with any warning about it. Undefined secret when the agent has no token.
 * Throws ConfigError (never quoting the token) when the variable is unset or empty or the file
 * cannot be used.
 */
export function resolveTokenDetailed(agent: AgentConfig, env: NodeJS.ProcessEnv = process.env): ResolvedToken {
  const ref = agent.mt4.token;
  if (!ref) return {};
  const who = agentLabel(agent);
  if (ref.kind === 'env') {
    const value = env[ref.variable];
    const hint = `Set it before running mt4gw: export ${ref.variable}=…  (or point mt4.token_file at a file only you can read).`;
    if (value === undefined) throw new ConfigError(`${who} needs a token: environment variable ${ref.variable} is not set`, [], { hint });
    const v = value.trim();
    if (v === '') throw new ConfigError(`${who} needs a token: environment variable ${ref.variable} is empty`, [], { hint });
    if (CONTROL.test(v))
      throw new ConfigError(
        `${who}: environment variable ${ref.variable} contains a line break or control character, so it cannot be a token`,
        [],
        { hint: `Set ${ref.variable} to the token alone, on one line.` },
      );
    return { secret: new Secret(v) };
  }

  const file = ref.path;
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    throw new ConfigError(`${who} needs a token: token file ${file} cannot be used: ${errnoText(e)}`, [], {
      hint: `Create it holding the token alone (then chmod 600 ${file}), or fix mt4.token_file in agents.yml (a relative path is taken from the config file's directory).`,
    });
  }
  const notRegular = () =>
    new ConfigError(`${who}: token file ${file} is not a regular file`, [], {
      hint: 'Point mt4.token_file at a file holding the token.',
    });
  const tooBig = (size: string) =>
    new ConfigError(`${who}: token file ${file} is ${size}, too large to hold a token`, [], {
      hint: 'The file must hold the token alone.',
    });
  if (!st.isFile()) throw notRegular();
  if (st.size > MAX_TOKEN_FILE_BYTES) throw tooBig(formatBytes(st.size));
  // Read through the open file with a cap, whatever the stat above said (see bounded-read.ts).
  let read: CappedRead;
  try {
    read = readRegularFileCapped(file, MAX_TOKEN_FILE_BYTES);
  } catch (e) {
    throw new ConfigError(`${who} needs a token: token file ${file} cannot be read: ${errnoText(e)}`, [], {
      hint: `Make it readable by the user running mt4gw (and only by them: chmod 600 ${file}).`,
    });
  }
  if (read.kind === 'not-regular') throw notRegular();
  if (read.kind === 'too-large') throw tooBig(`larger than ${formatBytes(MAX_TOKEN_FILE_BYTES)}`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(read.buf);
  } catch {
    throw new ConfigError(`${who}: token file ${file} is not UTF-8 text`, [], { hint: 'The file must hold the token alone, on one line.' });
  }
  const v = text.trim();
  if (v === '') throw new ConfigError(`${who}: token file ${file} is empty`, [], { hint: 'Write the token into it, alone on one line.' });
  if (CONTROL.test(v))
    throw new ConfigError(`${who}: token file ${file} holds more than one line or control characters`, [], {
      hint: 'The file must hold the token alone, on one line.',
    });
  const warning = looseModeWarning(agent, file);
  return warning ? { secret: new Secret(v), warning } : { secret: new Secret(v) };
}

/** An agent's token, or undefined when it has none. Warnings (loose file mode) go to `warnings` when given. */
export function resolveToken(agent: AgentConfig, env: NodeJS.ProcessEnv = process.env, warnings?: string[]): Secret | undefined {
  const r = resolveTokenDetailed(agent, env);
  if (r.warning && warnings) warnings.push(r.warning);
  return r.secret;
}

/**
 * Every agent's token, keyed by agent id (undefined for an agent without one). All failures are
 * reported together in one ConfigError, before any request is sent.
 */
export function resolveTokens(
  agents: readonly AgentConfig[],
  env: NodeJS.ProcessEnv = process.env,
  warnings?: string[],
): Map<string, Secret | undefined> {
  const out = new Map<string, Secret | undefined>();
  const failures: ConfigError[] = [];
  for (const agent of agents) {
    try {
      out.set(agent.id, resolveToken(agent, env, warnings));
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      failures.push(e);
    }
  }
  const [only] = failures;
  if (failures.length === 1 && only) throw only;
  if (failures.length > 1) {
    const missing = failures.length;
    const exports = agents
      .map((a) => a.mt4.token)
      .filter((t): t is { kind: 'env'; variable: string } => t?.kind === 'env' && !env[t.variable]?.trim())
      .map((t) => `export ${t.variable}=…`);
    throw new ConfigError(
      `${missing} agents are missing their tokens`,
      failures.map((f) => f.message),
      {
        hint: exports.length > 0 ? `Set them before running mt4gw: ${[...new Set(exports)].join('; ')}` : (failures[0]?.hint ?? undefined),
      },
    );
  }
  return out;
}
