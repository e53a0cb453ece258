// Finds, reads, parses and validates agents.yml, and resolves agent tokens
// (docs/configuration.md). Everything here is synchronous and does nothing at import time.
//
// Secrets: a token never reaches a message. A literal `token:` is refused without echoing it,
// source lines that mention a token are redacted before they are printed, and YAML messages
// about such lines are withheld when they quote the value.
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { DOCS_HINT, locateConfig, readConfigText } from './locate.js';
import type { Config } from './types.js';
import { Validator } from './validator.js';
import { parseYaml } from './yaml-locator.js';

// The lookup and reading half lives in locate.ts, token resolution in tokens.ts, the YAML parser and
// locator in yaml-locator.ts, the rules in validator.ts; re-exported for existing callers.
export { MAX_CONFIG_BYTES, findConfigPath, locateConfig, readConfigText } from './locate.js';
export type { ConfigLocation, ConfigLookupOptions, ConfigSource } from './locate.js';
export { MAX_TOKEN_FILE_BYTES, resolveToken, resolveTokenDetailed, resolveTokens, type ResolvedToken } from './tokens.js';
export { MAX_ALIAS_COUNT } from './yaml-locator.js';
export { tokenVariableFor } from './messages.js';
export { deepMerge } from './plain.js';

export interface ParseConfigOptions {
  /** Absolute path of the file (token_file paths are relative to its directory). */
  path: string;
  /** How messages name the file; defaults to the base name. */
  display?: string | undefined;
  /** For `~` in token_file. */
  env?: NodeJS.ProcessEnv | undefined;
}

/** Validates the text of an agents.yml. Throws ConfigError listing every problem found. */
export function parseConfigText(text: string, opts: ParseConfigOptions): Config {
  const abs = path.resolve(opts.path);
  const display = opts.display ?? path.basename(abs);
  if (text.trim() === '') throw new ConfigError(`${display} is empty`, [], { hint: DOCS_HINT });
  const { at, data, warnings } = parseYaml(text, display);
  return new Validator(at, abs, display, opts.env ?? process.env, warnings).run(data);
}

export interface LoadConfigOptions {
  /** The --config flag. */
  path?: string | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  cwd?: string | undefined;
}

/** Finds (locateConfig), reads and validates agents.yml. Throws ConfigError with every problem found. */
export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const env = opts.env ?? process.env;
  const loc = locateConfig({ flag: opts.path, env, cwd: opts.cwd });
  const text = readConfigText(loc.path, loc.display);
  return parseConfigText(text, { path: loc.path, display: loc.display, env });
}
