// Host names and IP addresses of bridges, normalized so that two spellings of one terminal compare
// equal: every IPv4 form inet_aton takes (127.1, 2130706433, 0x7f.0.0.1, 0177.0.0.1), IPv6 in any
// compression and case, IPv4-mapped IPv6 (::ffff:127.0.0.1), names in any case with or without the
// final dot. Every loopback spelling (127.0.0.0/8, ::1, ::ffff:127.x.x.x, localhost) is one host:
// a bridge listening on one of them may answer on all. The unspecified addresses (0.0.0.0, ::)
// mean "any address" to a server and are not a terminal to connect to.
//
// The WHATWG URL host parser does the IPv4 and IPv6 work (it is what undici, and so the REST
// client, uses to read `http://<host>:<port>`). Pure; nothing here runs at import time.

export type HostKind = 'loopback' | 'unspecified' | 'ipv4' | 'ipv6' | 'name';

export type NormalizedHost =
  | {
      ok: true;
      kind: HostKind;
      /** Equal for two hosts that are one machine: `loopback` for every loopback spelling. */
      key: string;
      /** The canonical spelling: 127.0.0.1, ::1, example.com. */
      address: string;
    }
  | { ok: false; reason: string };

/** Characters that would make `http://<host>` mean something else (userinfo, a path, a zone, escapes). */
const FORBIDDEN = /[\s/?#@\\%<>^|"`{}]/;
const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

function v4Kind(a: string): HostKind {
  if (a === '0.0.0.0') return 'unspecified';
  return a.startsWith('127.') ? 'loopback' : 'ipv4';
}

function result(kind: HostKind, address: string): NormalizedHost {
  return { ok: true, kind, key: kind === 'loopback' ? 'loopback' : address, address };
}

/** The host as one machine, or why it is neither a host name nor an IP address. */
export function normalizeHost(host: string): NormalizedHost {
  const t = host.trim();
  if (t === '') return { ok: false, reason: 'it is empty' };
  const bracketed = t.startsWith('[') && t.endsWith(']');
  const inner = bracketed ? t.slice(1, -1) : t;
  const bad = FORBIDDEN.exec(inner) ?? /[[\]]/.exec(inner);
  if (bad) return { ok: false, reason: `it contains ${JSON.stringify(bad[0])}` };
  const isV6 = inner.includes(':');
  if (bracketed && !isV6) return { ok: false, reason: 'brackets are only for IPv6 addresses ([::1])' };
  let hostname: string;
  try {
    hostname = new URL(`http://${isV6 ? `[${inner}]` : inner}/`).hostname;
  } catch {
    return {
      ok: false,
      reason: isV6
        ? 'it is not a valid IPv6 address'
        : /^[\d.]+$|^0x/i.test(inner)
          ? 'it is not a valid IPv4 address'
          : 'it is not a valid host name',
    };
  }
  if (hostname.startsWith('[')) {
    const a = hostname.slice(1, -1);
    // IPv4-mapped (::ffff:7f00:1, as the parser writes ::ffff:127.0.0.1) is the IPv4 address.
    const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(a);
    if (mapped) {
      const hi = Number.parseInt(mapped[1]!, 16);
      const lo = Number.parseInt(mapped[2]!, 16);
      const v4 = [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
      return result(v4Kind(v4), v4);
    }
    return result(a === '::1' ? 'loopback' : a === '::' ? 'unspecified' : 'ipv6', a);
  }
  // The parser writes every IPv4 form as a dotted quad; a name never looks like one afterwards.
  if (/^\d+\.\d+\.\d+\.\d+$/.test(hostname)) return result(v4Kind(hostname), hostname);
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  if (name.length > 253 || !name.split('.').every((l) => LABEL.test(l)))
    return { ok: false, reason: 'it is not a valid host name (letters, digits, - and _ between dots)' };
  return result(name === 'localhost' ? 'loopback' : 'name', name);
}

/** The key under which hosts are one machine; a host that does not normalize is its own trimmed, lower-cased text. */
export function hostKey(host: string): string {
  const n = normalizeHost(host);
  return n.ok ? n.key : host.trim().toLowerCase();
}

/** Whether two hosts are one machine (two loopback spellings are). */
export function sameHost(a: string, b: string): boolean {
  return hostKey(a) === hostKey(b);
}
