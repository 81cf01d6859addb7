// Placeholder customer page: shows who is signed in and their repairs, or a
// sign-in form. The real page (cust-custui) replaces this file.
const main = document.getElementById('customer');
const mode = new URLSearchParams(location.search).get('mode') === 'test' ? '?mode=test' : '';

async function api(path, init) {
  const res = await fetch('/c/api' + path, { credentials: 'same-origin', ...init });
  const body = await res.json().catch(() => ({}));
  return { res, body };
}

function el(tag, text) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  return e;
}

async function show() {
  const { res, body } = await api('/me');
  if (res.status === 401) return signIn();
  const me = body.data;
  const { body: list } = await api('/tickets');
  main.replaceChildren(el('h1', me.shop.name), el('p', 'Hello ' + me.customer.name));
  for (const t of list.data || []) main.append(el('p', `#${t.number} ${t.device.brand} ${t.device.model}: ${t.status_text}`));
}

function signIn(message) {
  const form = el('form');
  const number = el('input'); number.name = 'ticket_number'; number.required = true;
  const contact = el('input'); contact.name = 'contact'; contact.required = true;
  const l1 = el('label', 'Ticket number '); l1.append(number);
  const l2 = el('label', 'Phone or email '); l2.append(contact);
  const button = el('button', 'Sign in'); button.type = 'submit';
  form.append(l1, l2, button);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const { res, body } = await api('/login' + mode, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ticket_number: number.value, contact: contact.value }),
    });
    if (res.ok) return show();
    signIn(body.error ? body.error.message : 'Sign-in failed');
  });
  main.replaceChildren(el('h1', 'See your repair'), ...(message ? [el('p', message)] : []), form);
}

show();
