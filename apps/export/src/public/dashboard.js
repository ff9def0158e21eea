// The dashboard: figures, charts, breakdowns and the case list of the view the form's range, time zone
// and filters describe. uPlot is the global of /vendor/uplot/uPlot.iife.min.js (served by the app).
import { formatDuration } from './format.js';

const DURATIONS = ['waitingTime', 'avgReplyTime', 'resolutionTime', 'leadTime', 'totalSnoozedTime'];
const COUNTS = ['cases', 'inProgress', 'completed', 'inbound', 'outbound', 'replied', 'missedCases', 'missedCalls', 'snoozedCases'];
const BREAKDOWNS = ['team', 'assignee', 'medium', 'tag', 'direction'];
const REFRESH_MS = 12_000;
// A figure's parts ("p90 5분 24초", "3★ 2") never break inside, only between each other.
const nb = (text) => text.replace(/ /g, '\u00a0');
const el = (tag, props = {}, ...kids) => { const e = Object.assign(document.createElement(tag), props); e.append(...kids); return e; };

export function createDashboard({ $, call, t, lang, channel, view, onView }) {
  let stats = null;
  let key = '';
  let timer = null;
  let charts = [];
  let cursor = null;
  let seq = 0;
  const num = (n) => (n ?? 0).toLocaleString(lang() === 'en' ? 'en-US' : 'ko-KR');
  const dur = (s) => formatDuration(s, lang());

  function query(v, extra = {}) {
    const q = new URLSearchParams({ from: v.from, to: v.to, timezone: v.timezone, ...extra });
    for (const [k, values] of Object.entries(v.filters)) for (const x of values) q.append(k, x);
    return q;
  }
  const path = (what) => `/api/channels/${encodeURIComponent(channel())}/${what}`;

  async function load(force = false) {
    const v = view();
    if (!v.from || !v.to) { $('dash-status').textContent = t('dashPickRange'); return; }
    const q = query(v, { interval: v.interval });
    const mine = ++seq;
    const { ok, status, answer, stale } = await call(`${path('case-stats')}?${q}`);
    if (stale || mine !== seq) return;
    clearTimeout(timer);
    if (status === 503 && answer.code === 'STATS.LOADING') {
      $('dash-status').textContent = t('dashLoading');
      timer = setTimeout(() => load(force), Math.max(1, answer.details?.retryAfterSeconds ?? 2) * 1000);
      return;
    }
    timer = setTimeout(() => load(false), REFRESH_MS);
    if (!ok) { $('dash-status').textContent = answer.message || t('dashFailed'); return; }
    $('dash-status').textContent = '';
    const next = `${q}`;
    const changed = force || next !== key || !stats || stats.asOf !== answer.asOf;
    stats = answer;
    if (!changed) return;
    key = next;
    onView?.(v);
    render();
    loadCases(true);
  }

  function render() {
    if (!stats) return;
    const s = stats.summary;
    $('as-of').textContent = t('asOf', new Date(stats.asOf).toLocaleString(lang() === 'en' ? 'en-US' : 'ko-KR', { timeZone: stats.timezone }));
    const cards = COUNTS.map((k) => el('div', { className: 'figure', id: `fig-${k}` },
      el('span', { className: 'label', textContent: t('fig')[k] }), el('strong', { className: 'value', textContent: num(s[k]) })));
    const csat = el('div', { className: 'figure', id: 'fig-csat' }, el('span', { className: 'label', textContent: t('fig').csat }),
      el('strong', { className: 'value', textContent: s.csat.mean === null ? '–' : s.csat.mean.toFixed(2) }),
      el('span', { className: 'sub', textContent: `${nb(t('fig').csatCount(num(s.csat.count)))} · ${['1', '2', '3', '4', '5'].map((k) => nb(`${k}★ ${num(s.csat.distribution[k])}`)).join(' ')}` }));
    const times = DURATIONS.map((k) => el('div', { className: 'figure time', id: `fig-${k}` },
      el('span', { className: 'label', textContent: t('fig')[k] }), el('strong', { className: 'value', textContent: dur(s[k].mean) }),
      el('span', { className: 'sub', textContent: `${nb(`p50 ${dur(s[k].p50)}`)} · ${nb(`p90 ${dur(s[k].p90)}`)}` })));
    $('cards').replaceChildren(...cards, csat, ...times);
    renderCharts();
    renderBreakdowns();
  }

  function renderCharts() {
    charts.forEach((c) => c.destroy());
    charts = [];
    if (typeof uPlot === 'undefined') return;
    const xs = stats.series.map((b) => Date.parse(`${b.start}T00:00:00Z`) / 1000);
    const pick = (f) => stats.series.map((b) => f(b.summary));
    const width = (id) => Math.max(280, $(id).clientWidth || 480);
    const axisDate = { values: (u, ticks) => ticks.map((x) => new Date(x * 1000).toISOString().slice(5, 10)) };
    const common = (id) => ({ width: width(id), height: 240, tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'), legend: { live: false } });
    charts.push(new uPlot({
      ...common('chart-cases'), series: [{}, { label: t('fig').inProgress, stroke: '#f59e0b', fill: 'rgba(245,158,11,.15)' }, { label: t('fig').completed, stroke: '#0a66c2', fill: 'rgba(10,102,194,.12)' }],
      axes: [axisDate, { values: (u, ticks) => ticks.map((v) => num(v)) }],
    }, [xs, pick((s) => s.inProgress), pick((s) => s.completed)], $('chart-cases')));
    const lines = [['waitingTime', '#16a34a'], ['avgReplyTime', '#7c3aed'], ['resolutionTime', '#dc2626']];
    const series = [{}];
    const data = [xs];
    for (const [k, color] of lines) {
      for (const p of ['p50', 'p90']) {
        series.push({ label: `${t('fig')[k]} ${p}`, stroke: color, spanGaps: true, dash: p === 'p90' ? [6, 4] : undefined, value: (u, v) => dur(v) });
        data.push(pick((s) => s[k][p]));
      }
    }
    // Ticks on whole minutes and hours ("10분", "1시간"), not on uPlot's decimal steps ("8분 20초").
    const incrs = [1, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];
    charts.push(new uPlot({ ...common('chart-times'), series, axes: [axisDate, { size: 84, incrs, values: (u, ticks) => ticks.map((v) => dur(v)) }] }, data, $('chart-times')));
  }

  function renderBreakdowns() {
    const tables = BREAKDOWNS.map((b) => {
      const rows = stats.breakdowns[b].slice(0, 20).map((g) => el('tr', {},
        el('td', { textContent: g.id === null ? t('none') : (b === 'medium' || b === 'direction' ? (t('options')[g.name] ?? g.name) : g.name ?? g.id), title: g.id ?? '' }),
        el('td', { className: 'num', textContent: num(g.summary.cases) }),
        el('td', { className: 'num', textContent: num(g.summary.completed) }),
        el('td', { className: 'num', textContent: dur(g.summary.waitingTime.p50) }),
        el('td', { className: 'num', textContent: dur(g.summary.resolutionTime.p50) })));
      const head = el('tr', {}, ...[t('breakdown')[b], t('fig').cases, t('fig').completed, `${t('fig').waitingTime} p50`, `${t('fig').resolutionTime} p50`]
        .map((h, i) => el('th', { className: i ? 'num' : '', textContent: h })));
      return el('section', { className: 'breakdown', id: `breakdown-${b}` }, el('h3', { textContent: t('breakdown')[b] }),
        el('div', { className: 'scroll' }, el('table', {}, el('thead', {}, head), el('tbody', {}, ...rows))));
    });
    $('breakdowns').replaceChildren(...tables);
  }

  async function loadCases(first) {
    const v = view();
    const q = query(v, { limit: '50' });
    if (!first && cursor) q.set('cursor', cursor);
    const { ok, answer, stale } = await call(`${path('cases')}?${q}`);
    if (stale || !ok) return;
    cursor = answer.nextCursor ?? null;
    const when = { timeZone: v.timezone, year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: '2-digit' };
    const heads = t('caseColumns');
    // Each cell carries its column's name: on a narrow screen a case is a card of labelled lines.
    const labelled = (tr) => { [...tr.children].forEach((td, i) => { td.dataset.label = heads[i]; }); return tr; };
    const rows = answer.items.map((c) => labelled(el('tr', {},
      el('td', { className: 'nowrap', textContent: new Date(c.userChatCaseCreatedAt).toLocaleString(lang() === 'en' ? 'en-US' : 'ko-KR', when) }),
      el('td', {}, el('a', { href: c.userChatUrl, target: '_blank', rel: 'noopener', textContent: c.userChatCaseId })),
      el('td', { textContent: c.userName ?? '' }), el('td', { textContent: c.teamName ?? '' }), el('td', { textContent: c.assigneeName ?? '' }),
      el('td', { textContent: t('options')[c.userChatCaseState] ?? c.userChatCaseState ?? '' }),
      el('td', { className: 'num', textContent: dur(c.resolutionTime) }))));
    const body = $('case-list').querySelector('tbody');
    if (first) body.replaceChildren(...rows); else body.append(...rows);
    $('more-cases').hidden = !cursor;
  }

  return {
    load,
    render: () => { render(); if (stats) loadCases(true); },
    more: () => loadCases(false),
    stop: () => { clearTimeout(timer); seq++; stats = null; key = ''; charts.forEach((c) => c.destroy()); charts = []; },
    countFor: (v) => (stats && key === `${query(v, { interval: v.interval })}` ? stats.summary.cases : null),
  };
}
