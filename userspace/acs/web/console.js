// The console's core: calls to the API (with the CSRF token on changes),
// login and logout, building elements without innerHTML, formatting, and
// the hash router that shows one page at a time (the pages register
// themselves from fleet.js, groups.js, campaigns.js and faults.js).
'use strict';

const Console = (() => {
  const session = { csrf: null, tokenRequired: true, version: '' };
  const pages = {};
  let cleanup = null;        // stops the shown page's timers
  let generation = 0;        // bumped on every navigation: late answers of an old page are dropped

  window.cascadeLoadedAt = Date.now(); // the browser test checks that pages update without a reload

  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  // method, path, optional JSON body; resolves to the answer's JSON.
  async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (method !== 'GET' && session.csrf) headers['X-CSRF-Token'] = session.csrf;
    const response = await fetch(path, {
      method, headers, credentials: 'same-origin', cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try { data = await response.json(); } catch (ignored) { data = null; }
    if (response.status === 401 && session.tokenRequired) {
      showLogin(data && data.error ? data.error : 'Log in again.');
      throw new ApiError(401, 'not logged in');
    }
    if (!response.ok) throw new ApiError(response.status, data && data.error ? data.error : `HTTP ${response.status}`);
    return data;
  }

  // h('tag.class#id', {attribute: value, onclick: fn}, child, ...): an element.
  function h(spec, attributes, ...children) {
    const match = /^([a-z0-9]+)((?:[.#][\w-]+)*)$/.exec(spec);
    const element = document.createElement(match ? match[1] : 'div');
    if (match) {
      for (const part of match[2].match(/[.#][\w-]+/g) || []) {
        if (part[0] === '.') element.classList.add(part.slice(1)); else element.id = part.slice(1);
      }
    }
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
      else if (name === 'dataset') Object.assign(element.dataset, value);
      else element.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return element;
  }

  const format = {
    time(seconds) {
      if (!seconds) return '-';
      return new Date(seconds * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
    },
    timeMs(milliseconds) {
      if (milliseconds === null || milliseconds === undefined) return '-';
      return new Date(milliseconds).toISOString().replace('T', ' ').replace('Z', '');
    },
    ago(seconds) {
      if (!seconds) return 'never';
      const age = Math.max(0, Math.round(Date.now() / 1000 - seconds));
      if (age < 90) return `${age} s ago`;
      if (age < 5400) return `${Math.round(age / 60)} min ago`;
      return `${Math.round(age / 3600)} h ago`;
    },
    occupancy(value) { return value === null || value === undefined ? '-' : `${(value / 100).toFixed(2)} %`; },
    bytes(value) {
      if (value === null || value === undefined) return '-';
      const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
      let index = 0;
      let number = value;
      while (number >= 1024 && index < units.length - 1) { number /= 1024; index += 1; }
      return `${index ? number.toFixed(1) : number} ${units[index]}`;
    },
    bandwidth(kbit) { return kbit ? `${(kbit / 1000).toFixed(1)} Mbit/s` : '-'; },
    duration(milliseconds) {
      if (milliseconds === null || milliseconds === undefined) return '-';
      if (milliseconds < 10000) return `${(milliseconds / 1000).toFixed(2)} s`;
      const seconds = Math.round(milliseconds / 1000);
      return seconds < 120 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
    },
  };

  // A bar of segments {state: count} over total, in the states' colours.
  const barStates = ['done', 'failed', 'cancelled', 'downloading', 'queued', 'pending'];
  function progressBar(counts, total) {
    const bar = h('div.progress', { role: 'img', 'aria-label': barStates.map((s) => `${counts[s] || 0} ${s}`).join(', ') });
    for (const state of barStates) {
      const count = counts[state] || 0;
      if (!count || !total) continue;
      const segment = h(`span.segment.${state}`, { title: `${count} ${state}` });
      segment.style.width = `${(100 * count) / total}%`; // CSSOM, not a style attribute: the CSP forbids those
      bar.append(segment);
    }
    return bar;
  }

  function badge(text, kind) { return h(`span.badge.${kind || text.replace(/\s+/g, '-')}`, {}, text); }

  function notice(container, message, kind) {
    const box = h(`p.notice.${kind || 'error'}`, { role: 'alert' }, message);
    container.prepend(box);
    setTimeout(() => box.remove(), 8000);
  }

  // A button that asks once more before it acts (no browser dialogs).
  function confirmButton(label, question, action, attributes) {
    let armed = false;
    const button = h('button.danger', Object.assign({ type: 'button' }, attributes || {}), label);
    button.addEventListener('click', async () => {
      if (!armed) {
        armed = true;
        button.textContent = question;
        setTimeout(() => { armed = false; button.textContent = label; }, 5000);
        return;
      }
      armed = false;
      button.disabled = true;
      try { await action(); } finally { button.disabled = false; button.textContent = label; }
    });
    return button;
  }

  // Calls fn every interval milliseconds until the page changes; fn gets the page's generation.
  function every(interval, fn) {
    const mine = generation;
    let timer = null;
    const tick = async () => {
      if (mine !== generation) return;
      try { await fn(); } catch (error) { if (!(error instanceof ApiError && error.status === 401)) console.warn(error); }
      if (mine === generation) timer = setTimeout(tick, interval);
    };
    tick();
    const previous = cleanup;
    cleanup = () => { clearTimeout(timer); if (previous) previous(); };
  }

  function current() { return generation; }

  function page(name, renderer) { pages[name] = renderer; }

  async function route() {
    if (cleanup) { cleanup(); cleanup = null; }
    generation += 1;
    const [name, ...rest] = (location.hash.replace(/^#\/?/, '') || 'fleet').split('/');
    const container = document.getElementById('page');
    container.replaceChildren();
    for (const link of document.querySelectorAll('#nav a')) link.classList.toggle('current', link.dataset.page === name);
    const renderer = pages[name] || pages.fleet;
    document.body.dataset.page = pages[name] ? name : 'fleet';
    try {
      await renderer(container, rest.map(decodeURIComponent));
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) notice(container, String(error.message || error));
    }
  }

  function showLogin(message) {
    session.csrf = null;
    document.getElementById('nav').hidden = true;
    document.getElementById('logout').hidden = true;
    document.getElementById('page').replaceChildren();
    document.getElementById('login').hidden = false;
    document.getElementById('login-error').textContent = message || '';
    document.body.dataset.page = 'login';
    document.getElementById('token').focus();
  }

  function showApp() {
    document.getElementById('login').hidden = true;
    document.getElementById('nav').hidden = false;
    document.getElementById('logout').hidden = !session.tokenRequired;
    document.getElementById('status').textContent =
      `cascade ${session.version}${session.tokenRequired ? '' : ' · API without token'}`;
    route();
  }

  async function login(event) {
    event.preventDefault();
    const field = document.getElementById('token');
    try {
      const answer = await api('POST', '/api/login', { token: field.value });
      session.csrf = answer.csrf || null;
      field.value = '';
      showApp();
    } catch (error) {
      document.getElementById('login-error').textContent =
        error.status === 401 ? 'Wrong token.' : String(error.message || error);
    }
  }

  async function logout() {
    try { await api('POST', '/api/logout'); } catch (ignored) { /* the session is gone either way */ }
    showLogin('Logged out.');
  }

  async function start() {
    document.getElementById('login-form').addEventListener('submit', login);
    document.getElementById('logout').addEventListener('click', logout);
    window.addEventListener('hashchange', () => { if (document.getElementById('login').hidden) route(); });
    const answer = await (await fetch('/api/session', { credentials: 'same-origin', cache: 'no-store' })).json();
    session.tokenRequired = answer.token_required;
    session.version = answer.version || '';
    session.csrf = answer.csrf || null;
    if (answer.authenticated) showApp(); else showLogin('');
  }

  document.addEventListener('DOMContentLoaded', start);

  return { api, h, format, progressBar, badge, notice, confirmButton, every, current, page, refresh: route, ApiError };
})();
