// The faults page: the faults devices reported, filtered by device, code
// and campaign, open or cleared; clearing them (one, or every one shown)
// and retrying the devices in their campaign.
'use strict';

(() => {
  const { api, h, format, notice, confirmButton, page } = Console;
  const view = { device: '', code: '', campaign: '', cleared: 'open' };

  function filterBody() {
    const body = {};
    if (view.device) body.device = /^\d+$/.test(view.device) ? Number(view.device) : view.device;
    if (view.code) body.code = Number(view.code);
    if (view.campaign) body.campaign = Number(view.campaign);
    return body;
  }

  page('faults', async (container) => {
    const body = h('tbody');
    const summary = h('span.summary');
    const bulk = h('div.actions');
    const input = (name, label, attributes) => {
      const element = h('input', Object.assign({ name, value: view[name], 'aria-label': label, placeholder: label }, attributes || {}));
      element.addEventListener('change', () => { view[name] = element.value.trim(); refresh(); });
      return element;
    };
    const act = async (path, request) => {
      try {
        const answer = await api('POST', path, request);
        notice(container, path.endsWith('retry') ? `${answer.retried} devices retried, ${answer.faults_cleared} faults cleared`
          : `${answer.cleared} faults cleared`, 'info');
        await refresh();
      } catch (error) {
        notice(container, error.message);
      }
    };
    const row = (fault) => h('tr.fault-row', { dataset: { id: fault.id } },
      h('td', {}, format.time(fault.at)),
      h('td', {}, fault.device ? h('a', { href: `#/fleet/device/${fault.device_id}` }, fault.device) : `#${fault.device_id}`),
      h('td.number', {}, String(fault.code)),
      h('td', {}, fault.campaign ? h('a', { href: `#/campaigns/${fault.campaign}` }, `#${fault.campaign}`) : '-'),
      h('td', {}, fault.context),
      h('td', {}, fault.string),
      h('td', {}, fault.cleared_at ? `cleared ${format.time(fault.cleared_at)}` : [
        h('button.quiet', { type: 'button', dataset: { action: 'clear' }, onclick: () => act('/api/faults/clear', { id: fault.id }) }, 'Clear'),
        fault.campaign ? h('button.quiet', { type: 'button', dataset: { action: 'retry' },
          onclick: () => act('/api/faults/retry', { device: fault.device_id, campaign: fault.campaign }) }, 'Retry') : '']));
    async function refresh() {
      const query = new URLSearchParams({ cleared: view.cleared, limit: 200 });
      for (const name of ['device', 'code', 'campaign']) if (view[name]) query.set(name, view[name]);
      const answer = await api('GET', `/api/faults?${query}`);
      body.replaceChildren(...answer.faults.map(row));
      if (!answer.faults.length) body.append(h('tr', {}, h('td.empty', { colspan: 7 }, 'No fault matches.')));
      summary.textContent = `${answer.total} fault${answer.total === 1 ? '' : 's'}${answer.total > answer.faults.length ? ` (newest ${answer.faults.length} shown)` : ''}`;
      const filtered = Object.keys(filterBody()).length > 0;
      bulk.replaceChildren(
        view.cleared !== 'cleared' && answer.total ? confirmButton(filtered ? 'Clear these faults' : 'Clear every fault',
          'Clear: sure?', () => act('/api/faults/clear', filtered ? filterBody() : { all: true }), { dataset: { action: 'clear-all' } }) : '',
        view.campaign ? h('button', { type: 'button', dataset: { action: 'retry-campaign' },
          onclick: () => act('/api/faults/retry', { campaign: Number(view.campaign) }) }, `Retry campaign #${view.campaign}'s failed devices`) : '');
    }
    const shown = h('select', { name: 'cleared', 'aria-label': 'Which faults' },
      [['open', 'open'], ['cleared', 'cleared'], ['all', 'open and cleared']].map(([value, text]) => h('option', { value, selected: value === view.cleared }, text)));
    shown.addEventListener('change', () => { view.cleared = shown.value; refresh(); });
    container.append(
      h('h1', {}, 'Faults'),
      h('div.toolbar', {}, input('device', 'device key or id'), input('code', 'fault code', { inputmode: 'numeric' }),
        input('campaign', 'campaign', { inputmode: 'numeric' }), shown,
        h('button.quiet', { type: 'button', onclick: refresh }, 'Refresh'), summary),
      bulk,
      h('table.faults', {}, h('thead', {}, h('tr', {}, ['When', 'Device', 'Code', 'Campaign', 'Context', 'Fault', ''].map((t) => h('th', {}, t)))), body));
    await refresh();
  });
})();
