// Which desk store this process uses: PostgreSQL when MT4GW_STATE_URL is set (even to something
// unusable: then every order is refused and a halt is recorded locally, never silently on files
// alone), or when agents.yml has a top-level `state:` block; else the local files. The URL is a
// secret like a token: from the environment (`state: {url: ${VAR}}`) or a file (`url_file:`),
// held in a Secret, never printed. Finding out costs a files-only run one read of agents.yml's text
// (it is read anyway): the config is parsed for it only when that text has a `state:` key.
import type { Config } from '../config/types.js';
import { Secret } from '../config/secret.js';
import type { StateTarget } from './pg/connect.js';

export interface StoreSources {
  /** agents.yml, loaded (its `state:` block). */
  config?: (() => Promise<Config>) | undefined;
  /** agents.yml's text as it is, or undefined when there is none to read. */
  configText?: (() => string | undefined | Promise<string | undefined>) | undefined;
}

/** A top-level `state:` key in agents.yml's text (YAML, unindented). */
const STATE_KEY = /^state[ \t]*:/m;
const URL_SCHEME = /^postgres(ql)?:\/\//i;

function checked(raw: string, origin: string, what = origin): StateTarget {
  const v = raw.trim();
  if (v === '') return { origin, url: { unavailable: `${what} is empty` } };
  if (!URL_SCHEME.test(v)) return { origin, url: { unavailable: `${what} is not a postgres:// URL (the value is not shown)` } };
  return { origin, url: new Secret(v) };
}

async function fromConfig(sources: StoreSources, env: NodeJS.ProcessEnv): Promise<StateTarget | undefined> {
  let text: string | undefined;
  try {
    text = await sources.configText?.();
  } catch {
    text = undefined; // no agents.yml to read: no state block either
  }
  if (text === undefined || !STATE_KEY.test(text) || !sources.config) return undefined;
  let config: Config;
  try {
    config = await sources.config();
  } catch (e) {
    return {
      origin: 'agents.yml state:',
      url: { unavailable: `agents.yml has a state: block but cannot be loaded (${(e as Error).message})` },
    };
  }
  const ref = config.state?.url;
  if (!ref) return undefined;
  if (ref.kind === 'env') {
    const origin = `agents.yml state.url (\${${ref.variable}})`;
    const value = env[ref.variable];
    if (value === undefined) return { origin, url: { unavailable: `environment variable ${ref.variable} is not set` } };
    return checked(value, origin, `environment variable ${ref.variable}`);
  }
  const origin = `agents.yml state.url_file (${ref.path})`;
  const { readRegularFileCapped } = await import('../config/bounded-read.js');
  try {
    const read = readRegularFileCapped(ref.path, 64 * 1024);
    if (read.kind !== 'ok') return { origin, url: { unavailable: `${ref.path} is not a regular file of at most 64 KiB` } };
    return checked(new TextDecoder().decode(read.buf), origin, `the file ${ref.path}`);
  } catch (e) {
    return { origin, url: { unavailable: `${ref.path} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` } };
  }
}

/** The shared store's URL and where it came from, or undefined for the local files. */
export async function stateTarget(env: NodeJS.ProcessEnv, sources: StoreSources = {}): Promise<StateTarget | undefined> {
  if (env.MT4GW_STATE_URL !== undefined) return checked(env.MT4GW_STATE_URL, 'MT4GW_STATE_URL');
  return fromConfig(sources, env);
}
