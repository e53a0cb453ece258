import { listing } from './listing.js';

export const positions = listing({
  jsonKey: 'positions',
  empty: 'No open positions.',
  read: (b) => b.positions(),
  columns: (f) => [
    { header: 'AGENT', value: (r) => r.agent_id },
    { header: 'TICKET', value: (r) => String(r.ticket), align: 'right' },
    { header: 'SYMBOL', value: (r) => r.symbol },
    { header: 'TYPE', value: (r) => r.type },
    { header: 'LOTS', value: (r) => f.lots(r.lots), align: 'right' },
    { header: 'OPEN', value: (r) => f.price(r.open_price), align: 'right' },
    { header: 'PRICE', value: (r) => f.price(r.current_price), align: 'right' },
    { header: 'SL', value: (r) => f.price(r.sl), align: 'right' },
    { header: 'TP', value: (r) => f.price(r.tp), align: 'right' },
    {
      header: 'PROFIT',
      value: (r) => f.money(r.profit + r.swap + r.commission),
      align: 'right',
      color: (r, t, c) => (r.profit + r.swap + r.commission < 0 ? c.red(t) : c.green(t)),
    },
    { header: 'OPENED', value: (r) => f.time(r.open_time) },
    { header: 'COMMENT', value: (r) => r.comment },
  ],
});
