import { listing } from './listing.js';

export const orders = listing({
  jsonKey: 'orders',
  empty: 'No pending orders.',
  read: (b) => b.orders(),
  columns: (f) => [
    { header: 'AGENT', value: (r) => r.agent_id },
    { header: 'TICKET', value: (r) => String(r.ticket), align: 'right' },
    { header: 'SYMBOL', value: (r) => r.symbol },
    { header: 'TYPE', value: (r) => r.type },
    { header: 'LOTS', value: (r) => f.lots(r.lots), align: 'right' },
    { header: 'PRICE', value: (r) => f.price(r.open_price), align: 'right' },
    { header: 'SL', value: (r) => f.price(r.sl), align: 'right' },
    { header: 'TP', value: (r) => f.price(r.tp), align: 'right' },
    { header: 'EXPIRES', value: (r) => f.time(r.expiration) },
    { header: 'COMMENT', value: (r) => r.comment },
  ],
});
