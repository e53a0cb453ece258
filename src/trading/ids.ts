// mt4gw's order ids: short enough to ride in an MT4 comment as `mt4gw:<id>` (bridge/client-id.ts)
// with room for a user's comment, and random enough never to repeat.
import { randomBytes } from 'node:crypto';

export function newOrderId(): string {
  const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';
  return [...randomBytes(10)].map((b) => alphabet[b & 31]).join('');
}
