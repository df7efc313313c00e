// The groups page: each group's elected master and why, and every
// candidate with its occupancy, cache, bandwidth and file server, and why
// it won, was passed over or is not eligible (GET /api/groups).
'use strict';

(() => {
  const { api, h, format, badge, page } = Console;

  function candidateRow(candidate) {
    const verdict = candidate.verdict === 'master' ? 'master' : candidate.eligible ? 'passed over' : 'not eligible';
    return h(`tr.candidate.${verdict.replace(' ', '-')}`, { dataset: { key: candidate.key } },
      h('td', {}, badge(verdict)),
      h('td', {}, h('a', { href: `#/fleet/device/${candidate.id}` }, candidate.key)),
      h('td.number', {}, format.occupancy(candidate.cpu_occupancy)),
      h('td.number', {}, format.bytes(candidate.cache_size)),
      h('td.number', {}, format.bandwidth(candidate.bandwidth)),
      h('td', {}, candidate.file_server.enable ? (candidate.file_server.url || 'enabled, no URL') : 'disabled'),
      h('td', { title: format.time(candidate.last_inform) }, format.ago(candidate.last_inform)),
      h('td.reason', {}, candidate.reason));
  }

  function groupCard(group) {
    return h('section.card.group', { dataset: { group: group.id } },
      h('h2', {}, `Group ${group.id} `, h('span.muted', {}, `${group.size} devices`)),
      h('p.key', {}, group.key),
      h('p.master', {}, 'Master: ', group.master ? h('strong', {}, group.master) : h('em', {}, 'none'), ' — ', group.reason),
      group.campaign_masters.length ? h('p.muted', {}, 'In campaigns: ', group.campaign_masters.map((entry, index) => [
        index ? ', ' : '', h('a', { href: `#/campaigns/${entry.campaign}` }, `#${entry.campaign}`), ` ${entry.master}`])) : null,
      h('p.muted', {}, `${group.eligible} of ${group.candidates_total} candidates eligible` +
        (group.candidates.length < group.candidates_total ? ` (the best ${group.candidates.length} shown)` : '')),
      group.candidates.length ? h('table.candidates', {},
        h('thead', {}, h('tr', {}, ['', 'Candidate', 'CPU', 'Cache', 'Bandwidth', 'File server', 'Last Inform', 'Why'].map((t) => h('th', {}, t)))),
        h('tbody', {}, group.candidates.map(candidateRow))) : h('p.empty', {}, 'No device of this group has a file server.'));
  }

  page('groups', async (container, path) => {
    const only = path[0] ? `&group=${encodeURIComponent(path[0])}` : '';
    const answer = await api('GET', `/api/groups?candidates=50${only}`);
    const election = answer.election;
    container.append(
      h('h1', {}, 'Groups and elections'),
      h('p.lead', {}, 'The least busy device with a file server is master; ties go to the most bandwidth. ',
        `A sitting master stays until a challenger is less busy by ${(election.hysteresis / 100).toFixed(2)} points; `,
        `devices over ${(election.max_occupancy / 100).toFixed(2)} % CPU are not elected.`,
        only ? [' ', h('a', { href: '#/groups' }, 'All groups')] : ''),
      ...(answer.groups.length ? answer.groups.map(groupCard) : [h('p.empty', {}, 'No group yet: no device has informed.')]));
  });
})();
