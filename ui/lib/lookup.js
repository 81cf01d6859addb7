// Ticket numbers for sentences about events that carry only a ticket's id:
// a per-tab cache, keyed by mode (the stores number tickets alike), filled a
// few requests at a time.

import { get, mode } from "./api.js";

const numbers = new Map();
const key = (m, id) => `${m}:${id}`;

// ticketLabels fetches what it lacks and answers id (and, when the event has
// it, the ticket) → "#1042".
export async function ticketLabels(ids) {
  const m = mode();
  const missing = [...new Set(ids)].filter((id) => id && !numbers.has(key(m, id)));
  for (let i = 0; i < missing.length; i += 6) {
    await Promise.all(missing.slice(i, i + 6).map(async (id) => {
      try {
        numbers.set(key(m, id), (await get(`/api/v1/tickets/${id}`)).data.number);
      } catch (err) {
        if (err.status === 404) numbers.set(key(m, id), null); // else asked again next time
      }
    }));
  }
  return (id, ticket) => {
    const n = ticket?.number ?? numbers.get(key(m, id));
    return n ? `#${n}` : "a ticket";
  };
}

export function rememberTicket(t) {
  if (t?.id && t.number) numbers.set(key(mode(), t.id), t.number);
}
