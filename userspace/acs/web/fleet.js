// The fleet page: every device, searched, filtered by group, campaign state
// and fault, sorted by any column; and one device's page with its
// attributes, its open faults (clear, retry) and its timeline of Informs,
// RPCs, transfers and faults.
'use strict';

(() => {
  const { api, h, format, badge, notice, confirmButton, page } = Console;
  const PAGE_SIZE = 100;
  const columns = [
    ['key', 'Device'], ['group', 'Group'], ['software', 'Software'], ['hardware', 'Hardware'],
    ['occupancy', 'CPU'], [null, 'File server'], ['last_inform', 'Last Inform'], ['state', 'Campaign'],
    ['fault', 'Fault'],
  ];
  const view = { q: '', group: '', state: '', fault: '', sort: 'key', order: 'asc', offset: 0 };

  function select(name, label, options, value, onchange) {
    return h('label', {}, `${label} `, h('select', { name, onchange },
      options.map(([optionValue, text]) => h('option', { value: optionValue, selected: optionValue === value }, text))));
  }

  function campaignCell(device) {
    const campaign = device.campaign;
    if (!campaign) return '-';
    return h('span', {}, h('a', { href: `#/campaigns/${campaign.id}` }, `#${campaign.id}`), ' ',
      campaign.role, ' ', badge(campaign.state));
  }

  function faultCell(device) {
    if (!device.open_faults || !device.last_fault) return '-';
    return h('span.fault', { title: device.last_fault.string },
      `${device.last_fault.code}`, device.open_faults > 1 ? ` (${device.open_faults})` : '');
  }

  function row(device) {
    return h('tr.device-row', { dataset: { key: device.key } },
      h('td', {}, h('a', { href: `#/fleet/device/${device.id}` }, device.key)),
      h('td', {}, device.group ? h('a', { href: `#/groups/${device.group}` }, String(device.group)) : '-'),
      h('td', {}, device.software_version || '-'),
      h('td', {}, device.hardware_version || '-'),
      h('td.number', {}, format.occupancy(device.cpu_occupancy)),
      h('td', {}, device.file_server && device.file_server.enable ? 'yes' : 'no'),
      h('td', { title: format.time(device.last_inform) }, format.ago(device.last_inform)),
      h('td', {}, campaignCell(device)),
      h('td', {}, faultCell(device)));
  }

  async function list(container) {
    const groups = await api('GET', '/api/groups?candidates=0');
    const summary = h('span.summary');
    const body = h('tbody');
    const pager = h('div.pager');
    const search = h('input', {
      type: 'search', name: 'q', placeholder: 'key, serial, version, address…', value: view.q,
      'aria-label': 'Search devices',
    });
    let debounce = null;
    const refresh = async () => {
      const query = new URLSearchParams({ limit: PAGE_SIZE, offset: view.offset, sort: view.sort, order: view.order });
      for (const name of ['q', 'group', 'state', 'fault']) if (view[name]) query.set(name, view[name]);
      const answer = await api('GET', `/api/devices?${query}`);
      body.replaceChildren(...answer.devices.map(row));
      if (!answer.devices.length) body.append(h('tr', {}, h('td.empty', { colspan: columns.length }, 'No device matches.')));
      summary.textContent = `${answer.total} device${answer.total === 1 ? '' : 's'}`;
      pager.replaceChildren(
        h('button.quiet', { type: 'button', disabled: view.offset === 0, onclick: () => { view.offset = Math.max(0, view.offset - PAGE_SIZE); refresh(); } }, '‹ Previous'),
        h('span', {}, answer.total ? `${view.offset + 1}–${Math.min(answer.total, view.offset + PAGE_SIZE)} of ${answer.total}` : ''),
        h('button.quiet', { type: 'button', disabled: view.offset + PAGE_SIZE >= answer.total, onclick: () => { view.offset += PAGE_SIZE; refresh(); } }, 'Next ›'));
    };
    const change = (name) => (event) => { view[name] = event.target.value; view.offset = 0; refresh(); };
    search.addEventListener('input', () => {
      clearTimeout(debounce);
      debounce = setTimeout(() => { view.q = search.value.trim(); view.offset = 0; refresh(); }, 250);
    });
    const header = h('tr', {}, columns.map(([field, label]) => {
      if (!field) return h('th', {}, label);
      const arrow = view.sort === field ? (view.order === 'asc' ? ' ▲' : ' ▼') : '';
      return h('th.sortable', {
        dataset: { sort: field }, 'aria-sort': view.sort === field ? (view.order === 'asc' ? 'ascending' : 'descending') : 'none',
        onclick: () => {
          view.order = view.sort === field && view.order === 'asc' ? 'desc' : 'asc';
          view.sort = field;
          view.offset = 0;
          container.replaceChildren();
          list(container);
        },
      }, label + arrow);
    }));
    container.append(
      h('h1', {}, 'Fleet'),
      h('div.toolbar', {},
        search,
        select('group', 'Group', [['', 'all']].concat(groups.groups.map((g) => [String(g.id), `${g.id} (${g.size})`])), view.group, change('group')),
        select('state', 'Campaign state', [['', 'any'], ['none', 'in no campaign'], ['pending', 'pending'], ['queued', 'queued'],
          ['downloading', 'downloading'], ['done', 'done'], ['failed', 'failed'], ['cancelled', 'cancelled']], view.state, change('state')),
        select('fault', 'Fault', [['', 'any or none'], ['any', 'with open faults'], ['none', 'without faults']], view.fault, change('fault')),
        h('button.quiet', { type: 'button', onclick: refresh }, 'Refresh'),
        summary),
      h('table.devices', {}, h('thead', {}, header), body),
      pager);
    await refresh();
  }

  function attribute(label, value) { return [h('dt', {}, label), h('dd', {}, value === '' || value === null || value === undefined ? '-' : value)]; }

  async function device(container, id) {
    const answer = await api('GET', `/api/devices/${encodeURIComponent(id)}?events=200`);
    const campaign = answer.campaign;
    const faultActions = h('div.actions');
    container.append(
      h('p.crumbs', {}, h('a', { href: '#/fleet' }, 'Fleet'), ' › ', answer.key),
      h('h1', {}, answer.key),
      h('div.columns', {},
        h('section.card', {}, h('h2', {}, 'Attributes'), h('dl.attributes', {},
          attribute('Id', answer.id), attribute('Manufacturer', answer.manufacturer), attribute('OUI', answer.oui),
          attribute('Product class', answer.product_class), attribute('Serial number', answer.serial_number),
          attribute('Hardware', answer.hardware_version), attribute('Software', answer.software_version),
          attribute('Location', answer.location),
          attribute('Group', answer.group ? h('a', { href: `#/groups/${answer.group}` }, String(answer.group)) : '-'),
          attribute('CPU occupancy', format.occupancy(answer.cpu_occupancy)),
          attribute('Cache', format.bytes(answer.cache_size)), attribute('Bandwidth', format.bandwidth(answer.bandwidth)),
          attribute('File server', answer.file_server.enable ? answer.file_server.url || 'enabled, no URL' : 'no'),
          attribute('Cascade agent', answer.cascade ? 'yes' : 'no (stock device)'),
          attribute('Last Inform', `${format.time(answer.last_inform)} (${format.ago(answer.last_inform)})`),
          attribute('From', answer.last_address), attribute('Events', answer.last_events),
          attribute('Informs', answer.inform_count),
          attribute('Campaign', campaign ? h('span', {}, h('a', { href: `#/campaigns/${campaign.id}` }, `#${campaign.id}`),
            ` ${campaign.role}, `, badge(campaign.state), `, attempt ${campaign.attempts}`) : 'none'))),
        h('section.card', {}, h('h2', {}, `Open faults (${answer.open_faults})`), faultActions,
          answer.faults.length ? h('table.faults', {}, h('thead', {}, h('tr', {}, ['When', 'Code', 'Campaign', 'Context', 'Fault'].map((t) => h('th', {}, t)))),
            h('tbody', {}, answer.faults.map((fault) => h('tr', {},
              h('td', {}, format.time(fault.at)), h('td', {}, String(fault.code)),
              h('td', {}, fault.campaign ? h('a', { href: `#/campaigns/${fault.campaign}` }, `#${fault.campaign}`) : '-'),
              h('td', {}, fault.context), h('td', {}, fault.string)))))
            : h('p.empty', {}, 'None.'))),
      h('section.card', {}, h('h2', {}, 'Timeline'),
        answer.events.length ? h('ol.timeline', {}, answer.events.map((event) => h(`li.${event.kind}`, {},
          h('time', {}, format.timeMs(event.at)), badge(event.kind), h('span.detail', {}, event.detail))))
          : h('p.empty', {}, 'Nothing recorded yet.')));
    if (answer.open_faults) {
      faultActions.append(h('button', {
        type: 'button', onclick: async () => {
          try { await api('POST', '/api/faults/clear', { device: answer.id }); Console.refresh(); } catch (error) { notice(container, error.message); }
        },
      }, 'Clear faults'));
    }
    if (campaign && campaign.state === 'failed') {
      faultActions.append(confirmButton('Retry in its campaign', 'Retry: sure?', async () => {
        try { await api('POST', '/api/faults/retry', { device: answer.id }); Console.refresh(); } catch (error) { notice(container, error.message); }
      }, { dataset: { action: 'retry' } }));
    }
  }

  page('fleet', async (container, path) => {
    if (path[0] === 'device' && path[1]) return device(container, path[1]);
    return list(container);
  });
})();
