// The floor: what a user would otherwise script instead of `mt4gw summary --json` — GET /account
// and GET /positions from every bridge at once with node:http, totals as JSON. No config file, no
// validation, no retries. Usage: node bench/floor.mjs 127.0.0.1:9100 127.0.0.1:9101 …
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true });
const headers = { accept: 'application/json', ...(process.env.MT4GW_SIM_TOKEN ? { authorization: process.env.MT4GW_SIM_TOKEN } : {}) };
const get = (target, path) =>
  new Promise((resolve, reject) => {
    const [host, port] = target.split(':');
    http
      .get({ host, port, path, agent, headers }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c) => (body += c));
        res.on('end', () =>
          res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`${target}${path}: HTTP ${res.statusCode}`)),
        );
      })
      .on('error', reject);
  });
const rows = await Promise.all(
  process.argv.slice(2).map(async (target) => {
    const [a, p] = await Promise.all([get(target, '/account'), get(target, '/positions')]);
    return { target, balance: a.balance, equity: a.equity, profit: a.profit, open_positions: p.length };
  }),
);
const sum = (k) => Math.round(rows.reduce((s, r) => s + r[k], 0) * 100) / 100;
process.stdout.write(
  `${JSON.stringify({ total_balance: sum('balance'), total_equity: sum('equity'), total_profit: sum('profit'), total_positions: sum('open_positions'), agents: rows }, null, 2)}\n`,
);
agent.destroy();
