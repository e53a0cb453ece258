// mt4gw's order id on the terminal. The EA Bridge protocol and the DWX EA have no field for a
// client's own id, so both carry it at the start of the MT4 comment as `mt4gw:<id>` — MT4 keeps 31
// characters and may rewrite the rest (`to #…`/`from #…` on partial closes), so the tag is short and
// first. Transports with a field of their own (MetaApi's clientId) do not use this.

export const ORDER_TAG = 'mt4gw:';
/** MT4 keeps at most this many characters of a comment. */
export const MAX_COMMENT = 31;
/** The shape of mt4gw's order ids (trading/ids.ts makes them). */
export const CLIENT_ID = /^[0-9a-z]{10}$/;

/** The comment an order carries: the tag, then the user's comment, cut to what MT4 keeps. */
export function commentWithClientId(clientId: string | undefined, userComment: string | undefined): string {
  if (clientId === undefined) return (userComment ?? '').slice(0, MAX_COMMENT);
  const tag = `${ORDER_TAG}${clientId}`;
  return (userComment ? `${tag} ${userComment}` : tag).slice(0, MAX_COMMENT);
}

/** The order id in a comment that starts with the tag, else null. */
export function clientIdOf(comment: string | null | undefined): string | null {
  const m = /^mt4gw:([0-9a-z]{10})/.exec(comment ?? '');
  return m?.[1] ?? null;
}
