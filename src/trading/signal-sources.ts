// Where signal JSON comes from: stdin, a file (or a pipe, a device, /dev/stdin) and a signal
// service over http(s). Every source is read through a stream with a byte cap, whatever the file
// system says its size is, and nothing here sends anything to a bridge.
import { readFileSync, statSync } from 'node:fs';
import { Agent, request } from 'undici';
import { MtError, UsageError } from '../errors.js';

/** At most this many bytes of signal JSON from stdin, a file or a URL. */
export const MAX_SIGNAL_BYTES = 1024 * 1024;

/** Reads a stream to the end, refusing more than `max` bytes. */
export async function readCapped(
  stream: AsyncIterable<Buffer | string>,
  source: string,
  max: number,
  onOverflow?: () => void,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += b.length;
    if (size > max) {
      onOverflow?.();
      throw new UsageError(`${source} holds more than ${max} bytes of signals; nothing was sent`, {
        hint: 'Deliver fewer signals at a time.',
      });
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * GETs the signals from a service, bounded in time and size. Only scheme://host/path is ever shown:
 * the query (or user:password@) may hold a token.
 */
export async function fetchSignals(
  urlText: string,
  o: { timeoutMs: number; debug?: (line: string) => void },
): Promise<{ text: string; shown: string }> {
  const { timeoutMs } = o;
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    throw new UsageError('--from-url is not a valid URL', {
      hint: 'Give an absolute http:// or https:// URL, quoted in the shell: --from-url "https://host/path?token=…".',
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--from-url must be an http:// or https:// URL, not ${url.protocol}//`);
  const shown = `${url.protocol}//${url.host}${url.pathname}`;
  const scrub = (message: string) =>
    [urlText, url.href, url.search, url.username, url.password].filter((s) => s.length > 1).reduce((m, s) => m.split(s).join('…'), message);
  const dispatcher = new Agent({ connect: { timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const deadline = AbortSignal.timeout(timeoutMs);
  const started = performance.now();
  try {
    const res = await request(url, {
      method: 'GET',
      headers: { accept: 'application/json', 'user-agent': 'mt4gw' },
      dispatcher,
      signal: deadline,
    });
    o.debug?.(`GET ${shown} → ${res.statusCode} (${Math.round(performance.now() - started)} ms)`);
    if (res.statusCode === 204) {
      await res.body.dump();
      return { text: '[]', shown };
    }
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new UsageError(`${shown} answered HTTP ${res.statusCode}, not 200 with signals; nothing was sent`, {
        hint:
          res.statusCode >= 300 && res.statusCode < 400
            ? 'Redirects are not followed: give the final URL.'
            : 'Check the signal service; an empty list ([]) or 204 means "no signal now".',
      });
    }
    return { text: await readCapped(res.body, shown, MAX_SIGNAL_BYTES, () => res.body.destroy()), shown };
  } catch (e) {
    if (e instanceof MtError) throw e;
    const err = e as Error & { code?: string };
    if (deadline.aborted || /TIMEOUT/.test(err.code ?? '')) {
      throw new UsageError(`${shown} did not answer within ${timeoutMs} ms; nothing was sent`, {
        hint: 'Check the signal service, or allow it longer with --timeout (e.g. --timeout 30s).',
      });
    }
    throw new UsageError(
      `could not fetch the signals from ${shown}: ${scrub(err.code ? `${err.code}: ${err.message}` : err.message)}; nothing was sent`,
      {
        hint: 'Check that the signal service is up and the URL is right.',
      },
    );
  } finally {
    await dispatcher.destroy().catch(() => undefined);
  }
}

/** `mt4gw signal -`: the signal JSON on stdin, which must not be a terminal. */
export async function readSignalStdin(stdin: NodeJS.ReadStream): Promise<string> {
  if (stdin.isTTY)
    throw new UsageError('`mt4gw signal -` reads the signal from stdin, but stdin is a terminal', {
      hint: `Pipe it in: echo '{"symbol":"XAUUSD","side":"long","sl":2648.27}' | mt4gw signal - --yes`,
    });
  return readCapped(stdin, 'stdin', MAX_SIGNAL_BYTES);
}

/** `mt4gw signal --file <path>`: the signal JSON in a file. */
export async function readSignalFile(path: string, max = MAX_SIGNAL_BYTES): Promise<string> {
  try {
    if (statSync(path).size > max) throw new UsageError(`${path} holds more than ${max} bytes of signals; nothing was sent`);
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof MtError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot read --file ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}; nothing was sent`,
    );
  }
}
