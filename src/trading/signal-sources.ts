// Where signal JSON comes from: stdin, a file (or a pipe, a device, /dev/stdin) and a signal
// service over http(s). Every source is read through a stream with a byte cap, whatever the file
// system says its size is, and nothing here sends anything to a bridge.
import { open, type FileHandle } from 'node:fs/promises';
import { Agent, request } from 'undici';
import { MtError, UsageError } from '../errors.js';
import { MAX_SIGNALS } from './signal-schema.js';

/** At most this many bytes of signal JSON from stdin, a file or a URL. */
export const MAX_SIGNAL_BYTES = 1024 * 1024;

function tooLarge(source: string, max: number): UsageError {
  return new UsageError(`${source} holds more than ${max} bytes of signals; nothing was sent`, {
    hint: `Deliver fewer signals at a time (at most ${max} bytes of JSON, ${MAX_SIGNALS} signals).`,
  });
}

/** Reads a stream to the end, refusing more than `max` bytes (it stops reading there). */
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
      throw tooLarge(source, max);
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

/**
 * `mt4gw signal --file <path>`: the signal JSON in a file, a pipe (`--file /dev/stdin`,
 * `--file <(curl …)`), a FIFO or a device. A regular file larger than `max` is refused unread;
 * everything is then read through a stream with the cap, whatever its size claims to be (a /proc
 * file says 0, /dev/zero never ends). A FIFO is waited on until its writer opens it, like stdin.
 */
export async function readSignalFile(path: string, max = MAX_SIGNAL_BYTES): Promise<string> {
  const cannot = (e: unknown) => {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : code === 'ENXIO'
              ? 'it is a socket or a device that is not there (pipe the JSON into `mt4gw signal -` instead)'
              : (e as Error).message;
    return new UsageError(`cannot read --file ${path}: ${why}; nothing was sent`, {
      hint: 'Give a file holding one signal or a list of them as JSON, or pipe the JSON in with `mt4gw signal -`.',
    });
  };
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    throw cannot(e);
  }
  try {
    const st = await handle.stat();
    if (st.isDirectory()) throw cannot(Object.assign(new Error('EISDIR'), { code: 'EISDIR' }));
    if (st.isFile() && st.size > max) throw tooLarge(path, max);
    const stream = handle.createReadStream({ highWaterMark: 64 * 1024, autoClose: false });
    return await readCapped(stream, path, max, () => stream.destroy());
  } catch (e) {
    if (e instanceof MtError) throw e;
    throw cannot(e);
  } finally {
    await handle.close().catch(() => undefined);
  }
}
