// A throw-away PostgreSQL server for the tests and the benchmark: finds the server binaries
// (initdb, pg_ctl, postgres), initdb's a temporary data directory, starts it on 127.0.0.1 on a free
// port with its unix socket in the same temporary directory, and stops and removes it at the end.
// Password authentication over TCP (the URL carries a password, as a real desk's would), trust on
// the socket. PostgreSQL refuses to run as root: as root it runs as the `postgres` user (Debian's
// package creates it), or as a system user created for it. Nothing here is reached over a network
// other than loopback.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const INSTALL_HINT =
  "PostgreSQL's server binaries (initdb, pg_ctl, postgres) were not found on PATH, under /usr/lib/postgresql/*/bin, or at `pg_config --bindir`. " +
  'Install them: as root on Debian or Ubuntu, `apt-get update && apt-get install -y postgresql` (.ci/run does this); ' +
  'on macOS, `brew install postgresql`. Then run the tests again.';

function has(dir, name) {
  return existsSync(path.join(dir, name));
}

/** The directory holding initdb, pg_ctl and postgres, or undefined. */
export function findPgBin() {
  const candidates = [];
  for (const d of (process.env.PATH ?? '').split(path.delimiter)) if (d) candidates.push(d);
  try {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  } catch {
    // not a Debian layout
  }
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (pgConfig.status === 0 && pgConfig.stdout.trim()) candidates.push(pgConfig.stdout.trim());
  for (const d of candidates) {
    if (has(d, 'initdb') && has(d, 'pg_ctl') && has(d, 'postgres')) {
      // A symlink on PATH (e.g. /usr/local/bin/initdb) points into the real bin directory.
      return path.dirname(execFileSync('readlink', ['-f', path.join(d, 'initdb')], { encoding: 'utf8' }).trim());
    }
  }
  return undefined;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** The unprivileged user to run the server as when we are root, created if need be. */
function serverUser() {
  for (const name of ['postgres', 'mt4gw-pg']) {
    const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    if (r.status === 0) {
      const g = spawnSync('id', ['-g', name], { encoding: 'utf8' });
      return { name, uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
    }
  }
  const made = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'mt4gw-pg'], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`running as root, and no user to run PostgreSQL as: useradd mt4gw-pg failed: ${made.stderr}`);
  return serverUser();
}

/**
 * Starts a server. Returns { url, adminUrl, port, dir, stop(), kill(), start() }: `url` and
 * `adminUrl` are the superuser's (with its password); kill() stops it as a crash would (immediate
 * shutdown), start() starts it again on the same port with the same data.
 */
export async function startPgServer(options = {}) {
  const bin = options.bin ?? findPgBin();
  if (!bin) throw new Error(INSTALL_HINT);
  const root = process.geteuid?.() === 0;
  const user = root ? serverUser() : undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mt4gw-pg-'));
  const data = path.join(dir, 'data');
  const sock = path.join(dir, 'sock');
  const log = path.join(dir, 'server.log');
  const password = randomBytes(12).toString('hex');
  writeFileSync(path.join(dir, 'pwfile'), `${password}\n`);
  execFileSync('mkdir', ['-p', sock]);
  if (user) {
    chmodSync(dir, 0o755);
    for (const p of [dir, sock, path.join(dir, 'pwfile')]) chownSync(p, user.uid, user.gid);
  }
  const run = (cmd, args) => {
    const argv = user ? ['runuser', ['-u', user.name, '--', path.join(bin, cmd), ...args]] : [path.join(bin, cmd), args];
    const r = spawnSync(argv[0], argv[1], { encoding: 'utf8', cwd: dir, timeout: 120_000 });
    if (r.status !== 0) {
      const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-20).join('\n') : '';
      throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}\n${tail}`);
    }
    return r;
  };
  run('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '--pwfile',
    path.join(dir, 'pwfile'),
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-instructions',
  ]);
  let port = options.port ?? (await freePort());
  const settings = [
    `-p ${port}`,
    "-c listen_addresses='127.0.0.1'",
    `-c unix_socket_directories='${sock}'`,
    `-c max_connections=${options.maxConnections ?? 400}`,
    '-c shared_buffers=32MB',
    // Durable commits, as on a desk: the tests prove intents survive the server dying.
    '-c fsync=on',
    '-c log_min_messages=warning',
  ].join(' ');
  const start = () => run('pg_ctl', ['start', '-w', '-t', '60', '-D', data, '-l', log, '-o', settings]);
  try {
    start();
  } catch (e) {
    // The port was taken meanwhile: once more on another one.
    if (options.port !== undefined) throw e;
    port = await freePort();
    return startPgServerRetry(options, dir, e);
  }
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  let stopped = false;
  return {
    url,
    adminUrl: url,
    password,
    port,
    dir,
    socketDir: sock,
    /** A URL for another database on this server. */
    urlFor: (db) => `postgres://postgres:${password}@127.0.0.1:${port}/${db}`,
    /** As a crash would: no checkpoint, backends killed. */
    kill: () => run('pg_ctl', ['stop', '-m', 'immediate', '-w', '-D', data]),
    start,
    stop: () => {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['stop', '-m', 'fast', '-w', '-t', '30', '-D', data]);
      } catch {
        // already down
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function startPgServerRetry(options, dir, first) {
  rmSync(dir, { recursive: true, force: true });
  if (options.retried) throw first;
  return startPgServer({ ...options, retried: true });
}
