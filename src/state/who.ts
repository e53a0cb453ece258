// Who is acting: recorded with every journal record and every trading-state change.
import { hostname, userInfo } from 'node:os';

let user: string | undefined;

export function currentUser(): string {
  if (user === undefined) {
    try {
      user = userInfo().username;
    } catch {
      user = process.env.USER ?? 'unknown';
    }
  }
  return user;
}

/** `ops@desk-1` */
export function who(): string {
  return `${currentUser()}@${hostname()}`;
}
