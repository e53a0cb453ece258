// A distinctive token, every command with --verbose, faults that make errors talk: the token must
// appear in no output and in no file the tool writes.
import { chmodSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDesk, type Desk } from '../helpers/desk.js';

// Over each HTTP transport: its token header (Authorization, or MetaApi's auth-token).
for (const transport of ['rest', 'metaapi'] as const) {
  let desk: Desk;
  beforeAll(async () => {
    desk = await startDesk(undefined, { transport });
    desk.sim.agent('agent_1').setPrice('XAUUSD', 2650);
  });
  afterAll(async () => {
    await desk?.close();
  });

  function filesUnder(dir: string): string[] {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name));
  }

  describe(`the token is never printed or written (${transport})`, () => {
    it('across every command, with --verbose, on success and on failure', async () => {
      const v = (args: string[]) => desk.run(['--verbose', ...args]);
      const outputs: Array<{ stdout: string; stderr: string }> = [];
      const opened = await v(['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--sl', '2648.5', '--yes', '--json']);
      expect(opened.code).toBe(0);
      const ticket = String(JSON.parse(opened.stdout).ticket);
      outputs.push(opened);
      for (const args of [
        ['agents'],
        ['status'],
        ['summary', '--json'],
        ['summary', '--format', 'prometheus'],
        ['account', 'agent_1'],
        ['positions'],
        ['orders'],
        ['history', 'agent_1'],
        ['tick', 'agent_1', 'XAUUSD'],
        ['trade', 'agent_1', 'buy', 'XAUUSD', '0.01', '--dry-run'],
        ['modify', 'agent_1', ticket, '--sl', '2648'],
        ['close', 'agent_1', ticket],
        ['close-all', 'agent_3', '--yes'],
        ['journal'],
        ['halt', '--reason', 'secret test'],
        ['panic', '--yes', '--deadline', '2s'],
        ['resume', '--yes'],
        ['signal', 'XAUUSD', 'long', '--sl', '2648', '--id', 'secret-sig', '--yes'],
        ['signal', 'XAUUSD', 'long', '--sl', '2647', '--dry-run', '--json'],
      ]) {
        outputs.push(await v(args));
      }
      // A signal service whose URL carries its own secret: neither it nor the agents' tokens show.
      const urlSecret = 'URLSECRET-5f1c9a7e';
      const service = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'secret-url-sig', symbol: 'XAUUSD', side: 'long', sl: 2646 }));
      });
      await new Promise<void>((r) => service.listen(0, '127.0.0.1', r));
      const base = `http://user:${urlSecret}@127.0.0.1:${(service.address() as AddressInfo).port}/signals/latest?token=${urlSecret}`;
      try {
        const fromUrl = await v(['signal', '--from-url', base, '--yes', '--json']);
        expect(fromUrl.code, fromUrl.stderr).toBe(0);
        outputs.push(fromUrl);
        // The service down: the error names the service without its secret.
        await new Promise((r) => service.close(r));
        const down = await v(['signal', '--from-url', base, '--yes']);
        expect(down.code).toBe(2);
        outputs.push(down);
      } finally {
        service.close();
      }
      for (const o of outputs) expect(o.stdout + o.stderr).not.toContain(urlSecret);
      // Failures: refused token, garbage, a dead bridge.
      desk.sim.agent('agent_2').setFaults([{ kind: 'unauthorized' }]);
      outputs.push(await v(['account', 'agent_2']));
      desk.sim.agent('agent_2').setFaults([{ kind: 'malformed_json' }]);
      outputs.push(await v(['summary']));
      // A bridge that repeats the token header in what it answers, errors and trade replies alike.
      desk.sim.agent('agent_2').setFaults([{ kind: 'echo_token' }, { kind: 'http_500', endpoint: '/positions' }]);
      outputs.push(await v(['account', 'agent_2', '--json']));
      outputs.push(await v(['positions', 'agent_2']));
      desk.sim.agent('agent_2').setFaults([{ kind: 'echo_token' }, { kind: 'trade_error', code: 134 }]);
      outputs.push(await v(['trade', 'agent_2', 'buy', 'EURUSD', '0.02', '--yes']));
      desk.sim.agent('agent_2').clearFaults();
      await desk.sim.agent('agent_3').goDown(60);
      outputs.push(await v(['status']));
      outputs.push(await v(['panic', '--yes', '--deadline', '1s']));
      await desk.sim.agent('agent_3').goUp();

      for (const token of Object.values(desk.tokens)) {
        for (const o of outputs) {
          expect(o.stdout).not.toContain(token);
          expect(o.stderr).not.toContain(token);
        }
        for (const file of filesUnder(desk.dir)) {
          if (file === desk.configPath) continue; // the test's own config holds only ${VAR} references
          const text = readFileSync(file, 'utf8');
          expect(text, file).not.toContain(token);
          expect(text, file).not.toContain('URLSECRET');
        }
      }
      expect(outputs.some((o) => /debug: /.test(o.stderr))).toBe(true);
      // The echoing bridge did repeat it, and mt4gw scrubbed it.
      expect(outputs.some((o) => (o.stdout + o.stderr).includes('[redacted]'))).toBe(true);
    }, 120_000);

    it('a token file readable by others gets a warning, and works', async () => {
      const tokenFile = join(desk.dir, 'agent1.token');
      writeFileSync(tokenFile, `${desk.tokens.agent_1}\n`);
      chmodSync(tokenFile, 0o644);
      const config = readFileSync(desk.configPath, 'utf8').replace('token: ${MT4GW_TEST_TOKEN_1}', `token_file: ${tokenFile}`);
      const path = join(desk.dir, 'agents-file-token.yml');
      writeFileSync(path, config);
      const r = await desk.run(['--config', path, 'account', 'agent_1', '--json']);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/chmod 600/);
      expect(r.stderr).not.toContain(desk.tokens.agent_1);
      chmodSync(tokenFile, 0o600);
      expect((statSync(tokenFile).mode & 0o077) === 0).toBe(true);
      const quiet = await desk.run(['--config', path, 'account', 'agent_1', '--json']);
      expect(quiet.stderr).not.toMatch(/chmod/);
    });
  });
}
