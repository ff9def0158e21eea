// The export page: vanilla JS modules, no build step, nothing inline (the app's CSP allows scripts
// and styles from itself only). The server validates everything again; these checks only put the
// message next to the field sooner.
import { CHECKS, LABEL, OPTIONS, PICKERS, T } from './messages.js';
import { MAX_REASON, earlier, formatBytes, latestTo, normalizeDate, reasonChars, todayIn } from './format.js';
import { problemWords } from './problems.js';
import { renderRecentRows } from './recent.js';
import { createDashboard } from './dashboard.js';
import { createPicker } from './picker.js';
import { viewSummary } from './view-summary.js';
import { zoneLabel, zoneList } from './zones.js';

const $ = (id) => document.getElementById(id);
let lang = localStorage.getItem('casestats.lang') === 'en' ? 'en' : 'ko';
let rules = { statsStartDate: '2025-06-26', defaultTimezone: 'Asia/Seoul', maxRows: 1_000_000 };
let token = null;
let member = null;
let polling = null;
let refreshing = null;
let expiryTimer = null;
let signOutTimer = null;
let recentSeq = 0;
let session = 0; // a new sign-in drops every answer still in flight for the one before
let watched = null; // the job of the progress box, as last seen
const PERMISSION = 'caseStats:download';
const VIEW = 'caseStats:view';
const REFRESH_MS = 30_000;
const POLL_MS = 500;
const t = (key, ...args) => { const v = T[lang][key] ?? T.ko[key]; return typeof v === 'function' ? v(...args) : v; };
const zone = () => pickers.timezone?.values()[0] || rules.defaultTimezone;
const expired = (claims) => typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now();
const pickers = {}; // the filters' by name (PICKERS), and the time zone's
const dash = createDashboard({ $, call: (path) => call(path), t: (...a) => t(...a), lang: () => lang, channel: () => member.channelId, view: () => dashView(), onView: (v) => writeUrl(v) });
const { authMessage, codeMessage, answerProblems, jobError, clientProblems, dateProblems } = problemWords({ t, rules: () => rules, member: () => member, expired, permission: PERMISSION });

// Counted in characters, as the server counts: no maxlength, which counts UTF-16 units.
function showReasonCount() {
  const n = reasonChars($('reason').value);
  $('reason-count').textContent = t('reasonCount', n);
  $('reason-count').classList.toggle('over', n > MAX_REASON);
}

function applyLanguage() {
  document.documentElement.lang = lang;
  showReasonCount();
  document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll('[data-i18n-label]').forEach((el) => el.setAttribute('aria-label', t(el.dataset.i18nLabel)));
  // The button names the language it switches to, in that language, and says so to a screen reader.
  $('lang').textContent = t('otherLanguage');
  $('lang').lang = t('otherLang');
  $('lang').setAttribute('aria-label', t('switchLanguage'));
  for (const filter of CHECKS) {
    const values = OPTIONS[filter];
    const box = $(filter);
    const checked = new Set([...box.querySelectorAll('input:checked')].map((i) => i.value));
    box.setAttribute('aria-label', t(LABEL[filter]));
    box.replaceChildren(Object.assign(document.createElement('strong'), { textContent: t(LABEL[filter]) }));
    for (const v of values) {
      const label = document.createElement('label');
      label.title = v;
      const input = Object.assign(document.createElement('input'), { type: 'checkbox', value: v, checked: checked.has(v) });
      label.append(input, ` ${t('options')[v]}`);
      box.append(label);
    }
  }
  pickers.mediumNames.setNames(t('options'));
  for (const p of Object.values(pickers)) p.relabel();
  for (const o of $('interval').options) o.textContent = t('intervals')[o.value];
  $('case-head').replaceChildren(...t('caseColumns').map((h, i) => Object.assign(document.createElement('th'), { textContent: h, className: i === 6 ? 'num' : '' })));
  updateRange();
  showCount();
  if ($('download-dialog').open) showView();
  if (member) dash.render();
  if (watched) setProgress(watched);
  if (token) renderRecent();
}

function decodeToken(raw) {
  const part = raw.split('.')[1];
  const json = decodeURIComponent(escape(atob(part.replace(/-/g, '+').replace(/_/g, '/'))));
  return JSON.parse(json);
}

// The claims are read only to choose what to show: the server checks the signature and the
// permission again on every request. The token goes nowhere but the Authorization header.
function signIn(raw) {
  let claims = null;
  try { claims = decodeToken(raw.trim()); } catch { /* unreadable */ }
  if (!claims || typeof claims.channelId !== 'string' || !claims.channelId || !Array.isArray(claims.permissions)) {
    $('token-error').textContent = t('badToken');
    return false;
  }
  if (expired(claims)) {
    sessionStorage.removeItem('casestats.token');
    $('token-error').textContent = t('tokenExpired');
    return false;
  }
  member = claims;
  $('token').value = '';
  $('token-error').textContent = '';
  $('who').textContent = `${claims.name || claims.sub} · ${claims.channelId}`;
  $('signin').hidden = true;
  $('signout').hidden = false;
  const canDownload = claims.permissions.includes(PERMISSION);
  if (!canDownload && !claims.permissions.includes(VIEW)) {
    sessionStorage.removeItem('casestats.token');
    $('app').hidden = true;
    $('denied').hidden = false;
    return true;
  }
  token = raw.trim();
  sessionStorage.setItem('casestats.token', token);
  $('denied').hidden = true;
  $('app').hidden = false;
  // A member who may only look sees the figures; the download's fields, button and list are not theirs.
  $('app').classList.toggle('view-only', !canDownload);
  $('open-download').hidden = !canDownload;
  readUrl();
  loadFilters();
  dash.load(true);
  if (typeof claims.exp === 'number') {
    const left = claims.exp * 1000 - Date.now();
    if (left < 2 ** 31 - 1) signOutTimer = setTimeout(() => signOut(t('tokenExpired')), left);
  }
  if (canDownload) {
    renderRecent();
    refreshing = setInterval(renderRecent, REFRESH_MS);
  }
  return true;
}

function signOut(message = '') {
  session++;
  sessionStorage.removeItem('casestats.token');
  token = null; member = null; watched = null;
  dash.stop();
  $('open-download').hidden = true;
  clearInterval(polling); clearInterval(refreshing); clearTimeout(expiryTimer); clearTimeout(signOutTimer);
  $('password').value = ''; $('passwordConfirm').value = '';
  $('progress-box').hidden = true;
  if ($('download-dialog').open) $('download-dialog').close();
  $('recent').querySelector('tbody').replaceChildren();
  $('app').hidden = true; $('denied').hidden = true; $('signin').hidden = false; $('signout').hidden = true; $('who').textContent = '';
  $('token-error').textContent = message;
}

/** A link's `#token=…`, taken out of the address bar so that it is not kept in the history. */
function tokenFromHash() {
  const found = new URLSearchParams(location.hash.slice(1)).get('token');
  if (found) history.replaceState(null, '', location.pathname + location.search);
  return found;
}

// The page's language rides on every call: the server may write the file's own words (Export info, the field guide) in it.
function api(path, init = {}) {
  const headers = { ...(init.headers || {}), Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Accept-Language': lang };
  return fetch(path, { ...init, headers });
}
const base = () => `/api/channels/${encodeURIComponent(member.channelId)}/case-exports`;

// A JSON call: { ok, status, answer, stale }. A failed connection is status 0; a 401 signs out; an
// answer for a session that has ended since is stale.
async function call(path, init) {
  const mine = session;
  let res;
  try { res = await api(path, init); } catch { return { ok: false, status: 0, answer: { code: 'NETWORK' }, stale: mine !== session }; }
  let answer = {};
  try { answer = await res.json(); } catch { /* not JSON: the code below says what */ }
  if (mine !== session) return { ok: false, status: res.status, answer, stale: true };
  if (!res.ok && !answer.code) answer = { code: res.status >= 500 ? 'INTERNAL' : 'INPUT.INVALID' };
  if (res.status === 401) signOut(authMessage());
  return { ok: res.ok, status: res.status, answer, stale: false };
}

/** A message whose dates never break at their hyphens ("2026-" at a line's end, "02-28" on the next). */
function setText(el, text) {
  el.replaceChildren(...String(text).split(/(\d{4}-\d{2}-\d{2})/).map((part, i) =>
    (i % 2 ? Object.assign(document.createElement('span'), { className: 'nowrap', textContent: part }) : part)));
}

/** The dates that can be chosen: from the first day of the statistics to today in the export's zone, six months at most. */
function updateRange() {
  const today = todayIn(zone());
  const from = normalizeDate($('from').value);
  const last = from ? earlier(latestTo(from), today) : today;
  for (const [id, min, max] of [['from', rules.statsStartDate, today], ['to', from || rules.statsStartDate, last]]) {
    $(id).setAttribute('min', min);
    $(id).setAttribute('max', max);
  }
  setText($('range-hint'), from ? t('rangeHintFrom', rules.statsStartDate, today, last) : t('rangeHint', rules.statsStartDate, today));
}

// A typed date in another common shape is rewritten as the box shows dates; one that is no date is left for the check to name.
function tidyDate(ev) {
  const iso = normalizeDate(ev.target.value);
  if (iso && iso !== ev.target.value) ev.target.value = iso;
  updateRange();
}

// The calendar: the browser's own picker on a hidden date box, its choice written in the visible one.
function openPicker(button) {
  const box = $(button.dataset.for);
  const picker = button.parentElement.querySelector('input.picker');
  picker.min = box.getAttribute('min') || '';
  picker.max = box.getAttribute('max') || '';
  picker.value = normalizeDate(box.value) || '';
  try { picker.showPicker(); } catch { box.focus(); }
}

function pickDate(picker) {
  const box = $(picker.dataset.for);
  if (!picker.value) return;
  box.value = picker.value;
  box.dispatchEvent(new Event('change', { bubbles: true }));
  box.focus();
}

function showErrors(problems) {
  // A rule broken by the view (dates, zone, filters) is fixed on the page, behind the dialog: it closes.
  const dialog = $('download-dialog');
  const slotOf = (p) => document.querySelector(`[data-error-for="${CSS.escape(p.field)}"]`) || $('form-error');
  if (dialog.open && problems.some((p) => !dialog.contains(slotOf(p)))) dialog.close();
  document.querySelectorAll('[data-error-for]').forEach((el) => { el.textContent = ''; });
  document.querySelectorAll('#export-form [aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
  $('form-error').textContent = '';
  for (const p of problems) {
    const slot = slotOf(p);
    const input = $(p.field.replace('filters.', ''));
    if (input && $('export-form').contains(input)) input.setAttribute('aria-invalid', 'true');
    setText(slot, (slot.textContent ? slot.textContent + ' ' : '') + p.message);
  }
  // The first field to fix, in the form's order; a group of checkboxes takes focus on its first box.
  const first = $('export-form').querySelector('[aria-invalid="true"]');
  if (first) (first.matches('input, textarea') ? first : first.querySelector('input, button'))?.focus();
}

function readForm() {
  const checked = (id) => [...$(id).querySelectorAll('input:checked')].map((i) => i.value);
  const filters = {};
  for (const f of PICKERS) filters[f] = pickers[f].values();
  for (const f of CHECKS) filters[f] = checked(f);
  const date = (id) => normalizeDate($(id).value) || $(id).value.trim();
  return { from: date('from'), to: date('to'), timezone: zone(), password: $('password').value, reason: $('reason').value, filters };
}

// The box forgets the job it showed as soon as a new request leaves: its "done" and file button
// must never stand for the file the new request will make.
function clearProgress(text = '') {
  clearInterval(polling);
  watched = null;
  $('progress-file').hidden = true;
  $('progress-expiry').textContent = '';
  $('progress-notice').hidden = true;
  $('progress-error').textContent = '';
  $('bar-fill').style.width = '0%';
  $('bar').setAttribute('aria-valuenow', '0');
  $('bar').removeAttribute('aria-valuetext');
  $('progress-text').textContent = text;
}

async function submit(ev) {
  ev.preventDefault();
  const body = readForm();
  const local = clientProblems(body, $('passwordConfirm').value);
  const count = dash.countFor(dashView());
  if (count > rules.maxRows) local.push({ field: 'form', message: t('tooManyRows', count, rules.maxRows) });
  showErrors(local);
  if (local.length) return;
  $('submit').disabled = true;
  clearProgress(t('sending'));
  $('progress-box').hidden = false;
  try {
    const { ok, status, answer, stale } = await call(base(), { method: 'POST', body: JSON.stringify(body) });
    if (stale || status === 401) return;
    if (!ok) {
      $('progress-box').hidden = true;
      return showErrors(answerProblems(answer, body));
    }
    $('password').value = '';
    $('passwordConfirm').value = '';
    watch(answer);
    renderRecent();
  } finally {
    $('submit').disabled = false;
    showCount();
  }
}

// Past its expiresAt a file is gone, whether or not housekeeping has marked the job yet.
const statusOf = (job) => (job.status === 'succeeded' && job.expiresAt && Date.parse(job.expiresAt) <= Date.now() ? 'expired' : job.status);
const percentOf = (job) => (job.status === 'succeeded' || statusOf(job) === 'expired' ? 100 : job.totalRows ? Math.floor((job.rowsWritten / job.totalRows) * 100) : 0);

function setProgress(job) {
  watched = job;
  const status = statusOf(job);
  const done = percentOf(job);
  $('bar-fill').style.width = `${done}%`;
  $('bar').setAttribute('aria-valuenow', String(done));
  $('bar').setAttribute('aria-valuetext', `${t(status)} · ${done}%`);
  const text = `${t(status)} · ${t('progressText', job.rowsWritten ?? 0, job.totalRows ?? 0)} · ${done}%` +
    (job.status === 'failed' ? ` · ${jobError(job)}` : status === 'expired' ? ` · ${t('fileExpired')}` : '');
  // A live region: written only when it changes, so a screen reader is not told the same thing each poll.
  if ($('progress-text').textContent !== text) $('progress-text').textContent = text;
  // No count before the request: the request's own count is the first moment an empty range is known.
  const empty = job.totalRows === 0 && job.status !== 'failed';
  if (empty && $('progress-notice').textContent !== t('noCases')) $('progress-notice').textContent = t('noCases');
  $('progress-notice').hidden = !empty;
  $('progress-file').hidden = status !== 'succeeded';
  const expiry = $('progress-expiry');
  expiry.textContent = '';
  if (status === 'succeeded' && job.expiresAt) {
    const when = new Date(job.expiresAt);
    const time = document.createElement('time');
    time.dateTime = when.toISOString();
    time.textContent = when.toLocaleString(t('locale'));
    const [before, after] = t('expiresAt');
    expiry.append(before, time, after);
  }
}

const FINISHED = ['succeeded', 'failed', 'expired'];

function watch(accepted) {
  clearProgress();
  $('progress-box').hidden = false;
  setProgress({ rowsWritten: 0, totalRows: 0, status: 'queued', ...accepted });
  const tick = async () => {
    const { ok, answer, stale } = await call(`${base()}/${accepted.id}`);
    if (stale || !ok || !token || watched?.id !== accepted.id) return;
    setProgress(answer);
    if (FINISHED.includes(answer.status)) {
      clearInterval(polling);
      renderRecent();
    }
  };
  polling = setInterval(tick, POLL_MS);
  tick();
}

async function download(job, slot) {
  slot.textContent = '';
  let res;
  try { res = await api(`${base()}/${job.id}/file`); } catch { slot.textContent = t('network'); return; }
  if (!res.ok) {
    let answer = {};
    try { answer = await res.json(); } catch { answer = { code: res.status >= 500 ? 'INTERNAL' : 'INPUT.INVALID' }; }
    if (res.status === 401) return signOut(authMessage());
    slot.textContent = codeMessage(answer);
    if (answer.code === 'EXPORT.EXPIRED') renderRecent();
    return;
  }
  const blob = await res.blob();
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  // The server's name (export-pipeline's exportFileName): the range and the request's time.
  a.download = job.fileName;
  document.body.appendChild(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

// The list is fetched on sign-in, every REFRESH_MS, when a job ends, and again when a listed file
// reaches its expiresAt, so that a row never offers a file that is gone.
async function renderRecent() {
  const seq = ++recentSeq;
  const { ok, answer, stale } = await call(base());
  if (stale || seq !== recentSeq || !token) return;
  if (!ok) { $('recent-error').textContent = codeMessage(answer); return; }
  $('recent-error').textContent = '';
  const jobs = answer.exports;
  renderRecentRows($('recent'), jobs, { t, statusOf, percentOf, jobError, formatBytes, onDownload: (job) => download(job, $('recent-error')), nameOf: (key, v) => pickers[key]?.nameOf(v) ?? v });
  $('recent-empty').hidden = jobs.length > 0;
  let next = Infinity;
  for (const job of jobs) {
    if (statusOf(job) === 'succeeded' && job.expiresAt) next = Math.min(next, Date.parse(job.expiresAt));
    if (watched && watched.id === job.id && FINISHED.includes(watched.status)) setProgress(job);
  }
  clearTimeout(expiryTimer);
  if (next - Date.now() < REFRESH_MS) expiryTimer = setTimeout(renderRecent, Math.max(0, next - Date.now()) + 50);
}

const FILTERS = [...PICKERS, ...CHECKS];

/** The dashboard's view: the form's range, zone and filters, and the interval; an unreadable range shows nothing. */
function dashView() {
  const { from, to, timezone, filters } = readForm();
  const ok = normalizeDate(from) && normalizeDate(to) && from <= to;
  return { from: ok ? from : '', to: ok ? to : '', timezone, interval: $('interval').value, filters };
}

// The whole view lives in the query string, so a reload or a shared link opens the same figures.
function writeUrl(v) {
  const q = new URLSearchParams({ from: v.from, to: v.to, timezone: v.timezone, interval: v.interval });
  for (const f of FILTERS) for (const x of v.filters[f]) q.append(f, x);
  const next = `?${q}`;
  if (next !== location.search) history.replaceState(null, '', location.pathname + next);
  showCount();
}

function readUrl() {
  const q = new URLSearchParams(location.search);
  const today = todayIn(zone());
  if (q.get('timezone')) chooseZone(q.get('timezone'));
  if (q.get('interval') && ['day', 'week', 'month'].includes(q.get('interval'))) $('interval').value = q.get('interval');
  const monthAgo = new Date(Date.parse(`${today}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10);
  $('from').value = q.get('from') || $('from').value || (monthAgo < rules.statsStartDate ? rules.statsStartDate : monthAgo);
  $('to').value = q.get('to') || $('to').value || today;
  for (const f of PICKERS) if (q.has(f)) pickers[f].setValues(q.getAll(f));
  for (const f of CHECKS) {
    if (!q.has(f)) continue;
    const wanted = new Set(q.getAll(f));
    $(f).querySelectorAll('input').forEach((i) => { i.checked = wanted.has(i.value); });
  }
  updateRange();
}

/** How many cases the file of this view will hold, said before it is requested (the dashboard's count equals the export's rows). */
function showCount() {
  const n = member ? dash.countFor(dashView()) : null;
  const slot = $('download-count');
  const known = n !== null && n !== undefined;
  const text = !known ? t('counting') : n > rules.maxRows ? t('tooManyRows', n, rules.maxRows) : n === 0 ? t('countZero') : t('countWillHold', n);
  if (slot.textContent !== text) slot.textContent = text;
  slot.classList.toggle('warn', known && (n === 0 || n > rules.maxRows));
  // Above the cap the file is refused before the request, as the server would refuse it.
  $('submit').disabled = known && n > rules.maxRows;
}

/** The dialog restates the view it will download, by name. */
function showView() {
  const v = readForm();
  const names = {};
  for (const f of PICKERS) names[f] = pickers[f].names();
  for (const f of CHECKS) names[f] = v.filters[f].map((x) => t('options')[x] ?? x);
  $('download-view').replaceChildren(...viewSummary(v, names, t));
}

function openDownload() {
  const body = readForm();
  const problems = dateProblems(body);
  showErrors(problems);
  if (problems.length) return;
  showView();
  showCount();
  $('download-dialog').showModal();
  $('password').focus();
}

// The pickers offer the values of the view's range: fetched again when the range or zone changes.
let filtersKey = '';
let filtersSeq = 0;
async function loadFilters() {
  const { from, to, timezone } = dashView();
  const key = `${from}|${to}|${timezone}`;
  if (!member || !from || !to || key === filtersKey) return;
  filtersKey = key;
  const mine = ++filtersSeq;
  const q = new URLSearchParams({ from, to, timezone });
  const { ok, answer, stale } = await call(`/api/channels/${encodeURIComponent(member.channelId)}/case-filters?${q}`);
  if (stale || mine !== filtersSeq) return;
  if (!ok) { filtersKey = ''; return; }
  pickers.teamIds.setOptions(answer.teams);
  pickers.assigneeIds.setOptions(answer.assignees);
  pickers.tags.setOptions(answer.tags);
  pickers.mediumNames.setOptions(answer.mediumNames);
}

let viewTimer = null;
function viewChanged(ev) {
  if (ev && (['password', 'passwordConfirm', 'reason'].includes(ev.target.id) || ev.target.type === 'search')) return;
  clearTimeout(viewTimer);
  viewTimer = setTimeout(() => { if (member) { dash.load(true); loadFilters(); } }, 250);
}

// The zones' offsets are worked out when the list first opens: some hundred of them take a moment.
let zonesOffered = false;
function offerZones() {
  if (zonesOffered) return;
  zonesOffered = true;
  pickers.timezone.setOptions(zoneList([rules.defaultTimezone, 'UTC']).map((z) => ({ id: z, name: zoneLabel(z) })));
}
function chooseZone(z) {
  pickers.timezone.setNames({ [z]: zoneLabel(z) });
  pickers.timezone.setValues([z]);
}

function takeToken(raw) {
  if (token || member) signOut();
  if (!signIn(raw)) $('signin').hidden = false;
}

async function init() {
  try { rules = { ...rules, ...(await (await fetch('/api/export-rules')).json()) }; } catch { /* defaults */ }
  pickers.timezone = createPicker($('timezone'), () => {
    const label = t('timezone');
    return { label, all: rules.defaultTimezone, search: t('searchZone'), noMatch: t('noMatch'), none: t('noMatch'), clear: '', more: () => '' };
  }, { single: true, onOpen: offerZones });
  chooseZone(rules.defaultTimezone);
  for (const f of PICKERS) {
    pickers[f] = createPicker($(f), () => {
      const label = t(LABEL[f]);
      return { label, all: t('all'), search: t('searchIn', label), noMatch: t('noMatch'), none: t('noValues'), clear: t('clearChoice'), more: (n) => t('andMore', n) };
    }, { showIds: f === 'teamIds' || f === 'assigneeIds' });
  }
  $('from').addEventListener('change', tidyDate);
  $('to').addEventListener('change', tidyDate);
  $('timezone').addEventListener('change', updateRange);
  document.querySelectorAll('button.pick').forEach((b) => b.addEventListener('click', () => openPicker(b)));
  document.querySelectorAll('input.picker').forEach((p) => p.addEventListener('change', () => pickDate(p)));
  $('export-form').addEventListener('submit', submit);
  $('export-form').addEventListener('change', viewChanged);
  $('reason').addEventListener('input', showReasonCount);
  $('more-cases').addEventListener('click', () => dash.more());
  $('open-download').addEventListener('click', openDownload);
  $('close-download').addEventListener('click', () => $('download-dialog').close());
  $('cancel-download').addEventListener('click', () => $('download-dialog').close());
  $('lang').addEventListener('click', () => { lang = lang === 'ko' ? 'en' : 'ko'; localStorage.setItem('casestats.lang', lang); applyLanguage(); });
  $('signout').addEventListener('click', () => signOut());
  $('signin-button').addEventListener('click', () => signIn($('token').value));
  $('progress-download').addEventListener('click', () => { if (watched) download(watched, $('progress-error')); });
  // A link with a new token pasted into this tab's address bar changes only the hash: no reload.
  window.addEventListener('hashchange', () => { const raw = tokenFromHash(); if (raw) takeToken(raw); });
  // Today moves on while the page stays open.
  setInterval(updateRange, 60_000);
  applyLanguage();
  const saved = tokenFromHash() || sessionStorage.getItem('casestats.token');
  if (!saved || !signIn(saved)) $('signin').hidden = false;
}
init();
