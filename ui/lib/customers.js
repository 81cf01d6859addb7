// Customer names for lists of tickets, which carry only customer_id: a
// per-tab cache filled a few requests at a time and corrected by live events.
// The live and test stores number customers alike, so the cache is keyed by
// mode as well, fixed when a lookup starts (a lookup still in flight when
// the mode switches must not fill the other mode's names).

import { get, mode } from "./api.js";

const names = new Map();
const key = (m, id) => `${m}:${id}`;

export async function customerNames(ids) {
  const m = mode();
  const missing = [...new Set(ids)].filter((id) => id && !names.has(key(m, id)));
  for (let i = 0; i < missing.length; i += 6) {
    await Promise.all(missing.slice(i, i + 6).map(async (id) => {
      try {
        names.set(key(m, id), (await get(`/api/v1/customers/${id}`)).data.name);
      } catch (err) {
        // A customer who is gone stays named so; a failed request is tried again next time.
        if (err.status === 404) names.set(key(m, id), "Customer not on record");
      }
    }));
  }
  return (id) => names.get(key(m, id)) ?? "";
}

export function rememberCustomer(c) {
  if (c?.id) names.set(key(mode(), c.id), c.name);
}
