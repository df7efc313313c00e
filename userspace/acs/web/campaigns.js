// The campaigns page: the list with each campaign's progress, a form to
// start one, and a campaign's own page: live progress per group (polled
// every second, no reload), pause / resume / cancel, and the report once
// it has ended (GET /api/campaigns/ID/report).
'use strict';

(() => {
  const { api, h, format, progressBar, badge, notice, confirmButton, every, current, page } = Console;
  const FINISHED = ['done', 'cancelled', 'halted'];

  function field(label, name, attributes) {
    return h('label', {}, h('span', {}, label), h('input', Object.assign({ name }, attributes || {})));
  }

  function startForm(container, groups) {
    const form = h('form.start#start-campaign', {},
      h('div.form-grid', {},
        field('Image name', 'image', { required: true, placeholder: 'fw-4.3.0.bin', pattern: '[^\\/\\?]+' }),
        field('Origin URL', 'origin_url', { required: true, type: 'url', placeholder: 'http://origin:8081/images/fw-4.3.0.bin' }),
        field('Size (bytes)', 'size', { required: true, type: 'number', min: 1 }),
        field('SHA-256', 'sha256', { required: true, pattern: '[0-9a-fA-F]{64}', placeholder: '64 hex digits' }),
        h('label', {}, h('span', {}, 'Mode'), h('select', { name: 'mode' }, h('option', { value: 'url' }, 'url (Download URL)'),
          h('option', { value: 'spv' }, 'spv (X_CASCADE_MasterURL)'))),
        field('Fan-out', 'fanout', { type: 'number', min: 0, placeholder: 'default' }),
        h('label', {}, h('span', {}, 'Group'), h('select', { name: 'group' }, h('option', { value: '' }, 'every group'),
          groups.map((group) => h('option', { value: group.id }, `${group.id}: ${group.key} (${group.size})`)))),
        field('Selector', 'selector', { placeholder: 'software_version=1.0,location=north' }),
        field('Signature', 'signature', { placeholder: 'cascadectl sign … (optional)' }),
        field('Piece list SHA-256', 'pieces_sha256', { pattern: '[0-9a-fA-F]{64}', placeholder: 'optional (cut-through relays)' })),
      h('button', { type: 'submit' }, 'Start campaign'));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const values = Object.fromEntries(new FormData(form).entries());
      const body = { image: values.image, origin_url: values.origin_url, size: Number(values.size), sha256: values.sha256, mode: values.mode };
      if (values.fanout) body.fanout = Number(values.fanout);
      if (values.group) body.group = Number(values.group);
      if (values.selector) body.selector = values.selector;
      if (values.signature) body.signature = values.signature;
      if (values.pieces_sha256) body.pieces_sha256 = values.pieces_sha256;
      try {
        const campaign = await api('POST', '/api/campaigns', body);
        location.hash = `#/campaigns/${campaign.id}`;
      } catch (error) {
        notice(container, `Not started: ${error.message}`);
      }
    });
    return h('details.card', { open: true }, h('summary', {}, 'Start a campaign'), form);
  }

  function campaignRow(campaign) {
    return h('tr.campaign-row', { dataset: { id: campaign.id, state: campaign.state } },
      h('td', {}, h('a', { href: `#/campaigns/${campaign.id}` }, `#${campaign.id}`)),
      h('td', {}, campaign.image),
      h('td', {}, badge(campaign.state)),
      h('td', {}, campaign.mode),
      h('td.number', {}, String(campaign.devices)),
      h('td.wide', {}, progressBar(campaign.counts, campaign.devices),
        h('span.counts', {}, `${campaign.counts.done} done, ${campaign.counts.failed} failed`)),
      h('td', {}, format.time(campaign.created_at)));
  }

  async function list(container) {
    const groups = await api('GET', '/api/groups?candidates=0');
    const body = h('tbody');
    container.append(h('h1', {}, 'Campaigns'), startForm(container, groups.groups),
      h('table.campaigns', {}, h('thead', {}, h('tr', {}, ['', 'Image', 'State', 'Mode', 'Devices', 'Progress', 'Started'].map((t) => h('th', {}, t)))), body));
    every(2000, async () => {
      const mine = current();
      const answer = await api('GET', '/api/campaigns');
      if (mine !== current()) return;
      body.replaceChildren(...answer.campaigns.slice().reverse().map(campaignRow));
      if (!answer.campaigns.length) body.append(h('tr', {}, h('td.empty', { colspan: 7 }, 'No campaign yet.')));
    });
  }

  function countsLine(counts) {
    return ['done', 'failed', 'cancelled', 'downloading', 'queued', 'pending']
      .map((state) => h(`span.count.${state}`, {}, h('strong', {}, String(counts[state])), ` ${state}`));
  }

  function groupRow(group, detail) {
    return h('tr.group-row', { dataset: { group: group.group } },
      h('td', {}, h('a', { href: `#/groups/${group.group}` }, String(group.group))),
      h('td', {}, group.master || h('em', {}, group.fallback_origin ? 'origin' : 'none'),
        detail && detail.master_state ? [' ', badge(detail.master_state)] : ''),
      h('td.number', {}, String(group.devices)),
      h('td.wide', {}, progressBar(group.counts, group.devices)),
      h('td.number', {}, String(group.counts.done)),
      h('td.number', {}, String(group.counts.failed)),
      h('td.number', {}, String(group.failed_masters)),
      h('td.number', {}, String(group.origin_requests)));
  }

  function reportCard(report) {
    const origin = report.origin;
    return h('section.card.report#report', {},
      h('h2', {}, 'Report'),
      h('dl.attributes', {},
        h('dt', {}, 'Started'), h('dd', {}, format.timeMs(report.started_ms)),
        h('dt', {}, 'Ended'), h('dd', {}, format.timeMs(report.finished_ms)),
        h('dt', {}, 'Makespan'), h('dd.makespan', {}, format.duration(report.makespan_ms)),
        h('dt', {}, 'Devices'), h('dd', {}, `${report.devices}: ${report.counts.done} done, ${report.counts.failed} failed, ` +
          `${report.counts.cancelled} cancelled${report.still_running ? `, ${report.still_running} still running` : ''}`),
        h('dt', {}, 'From the origin'), h('dd.origin', {}, `${origin.requests} requests, ${format.bytes(origin.bytes)}`),
        h('dt', {}, 'All direct'), h('dd', {}, `${origin.direct_requests} requests, ${format.bytes(origin.direct_bytes)}`),
        h('dt', {}, 'Saved'), h('dd', {}, `${format.bytes(origin.saved_bytes)} (the origin served ${(100 * origin.fraction_of_direct).toFixed(1)} % of direct)`),
        h('dt', {}, 'Served by masters'), h('dd', {}, String(report.served_by_masters))));
  }

  async function control(container, id, action) {
    try {
      await api('POST', `/api/campaigns/${id}/${action}`);
    } catch (error) {
      notice(container, error.message);
    }
  }

  async function detail(container, id) {
    const title = h('h1');
    const state = h('span#campaign-state');
    const actions = h('div.actions');
    const summary = h('div.summary-line');
    const overall = h('div');
    const groupsBody = h('tbody');
    const reportSlot = h('div');
    const facts = h('p.muted');
    let lastState = null;
    container.append(h('p.crumbs', {}, h('a', { href: '#/campaigns' }, 'Campaigns'), ` › #${id}`),
      title, h('p', {}, 'State: ', state), facts, actions, overall, summary,
      h('section.card', {}, h('h2', {}, 'Groups'), h('table.groups', {},
        h('thead', {}, h('tr', {}, ['Group', 'Master', 'Devices', 'Progress', 'Done', 'Failed', 'Failed masters', 'Origin requests'].map((t) => h('th', {}, t)))),
        groupsBody)),
      reportSlot);
    const draw = (campaign, report) => {
      title.textContent = `Campaign #${campaign.id}: ${campaign.image}`;
      state.replaceChildren(badge(campaign.state));
      state.dataset.state = campaign.state;
      facts.textContent = `${campaign.mode} mode, fan-out ${campaign.fanout}, ${campaign.devices} devices in ${campaign.groups} groups, ` +
        `started ${format.time(campaign.created_at)}` + (campaign.halted ? ` — halted: ${campaign.halted.reason}` : '');
      overall.replaceChildren(progressBar(campaign.counts, campaign.devices));
      summary.replaceChildren(...countsLine(campaign.counts));
      const details = new Map((campaign.group_details || []).map((group) => [group.group, group]));
      groupsBody.replaceChildren(...report.group_details.map((group) => groupRow(group, details.get(group.group))));
      const buttonsFor = `${campaign.state}/${campaign.counts.failed > 0}`;
      if (buttonsFor !== lastState) {
        lastState = buttonsFor;
        const buttons = [];
        if (campaign.state === 'running') buttons.push(h('button', { type: 'button', dataset: { action: 'pause' }, onclick: () => control(container, id, 'pause') }, 'Pause'));
        if (campaign.state === 'paused') buttons.push(h('button', { type: 'button', dataset: { action: 'resume' }, onclick: () => control(container, id, 'resume') }, 'Resume'));
        if (!['done', 'cancelled'].includes(campaign.state)) {
          buttons.push(confirmButton('Cancel campaign', 'Really cancel?', () => control(container, id, 'cancel'), { dataset: { action: 'cancel' } }));
        }
        if (campaign.counts.failed && campaign.state !== 'cancelled' && campaign.state !== 'halted') {
          buttons.push(h('button.quiet', { type: 'button', dataset: { action: 'retry' }, onclick: async () => {
            try { await api('POST', '/api/faults/retry', { campaign: Number(id) }); } catch (error) { notice(container, error.message); }
          } }, 'Retry failed devices'));
        }
        actions.replaceChildren(...buttons);
      }
      reportSlot.replaceChildren(FINISHED.includes(campaign.state) ? reportCard(report) : h('p.muted', {},
        `Running for ${format.duration(report.elapsed_ms)}; the report follows when it ends.`));
    };
    every(1000, async () => {
      const mine = current();
      const [campaign, report] = await Promise.all([api('GET', `/api/campaigns/${id}`), api('GET', `/api/campaigns/${id}/report`)]);
      if (mine === current()) draw(campaign, report);
    });
  }

  page('campaigns', async (container, path) => (path[0] ? detail(container, path[0]) : list(container)));
})();
