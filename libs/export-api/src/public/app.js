// The export page: vanilla JS, no build step. The server validates everything again; these checks
// only put the message next to the field sooner.
'use strict';
(function () {
  const T = {
    ko: {
      title: '케이스별 상담 통계 다운로드', signIn: '로그인', signOut: '로그아웃', token: '토큰',
      signInHelp: '다운로드 권한이 있는 팀 멤버의 토큰을 붙여 넣으세요.', period: '기간', from: '시작일', to: '종료일',
      timezone: '시간대', filters: '필터', teams: '담당팀 ID', assignees: '담당자 ID', tags: '태그',
      fileProtection: '파일 보호', password: '파일 비밀번호', passwordHint: '영문과 숫자만, 4~64자. 분실하면 파일을 열 수 없어요.',
      reason: '다운로드 사유', download: '다운로드', progress: '진행 상황', recent: '최근 다운로드', requested: '요청',
      status: '상태', rows: '행', medium: '채널', direction: '방향', caseState: '기록 상태', chatState: '상담 상태',
      rangeHint: (a, b) => `조회 가능: ${a}부터, 종료일은 ${b}까지`, fileLink: '파일 받기',
      needFrom: '시작일을 입력하세요.', needTo: '종료일을 입력하세요.', badPassword: '비밀번호는 영문과 숫자 4~64자여야 해요.',
      needReason: '다운로드 사유를 입력하세요 (500자 이내).', tooEarly: (d) => `시작일은 ${d} 이후여야 해요.`,
      reversed: '종료일이 시작일보다 빠를 수 없어요.', tooLong: (d) => `최대 6개월: 종료일은 ${d}까지 가능해요.`,
      queued: '대기 중', running: '진행 중', succeeded: '완료', failed: '실패', expired: '만료',
      progressText: (w, t) => `${w.toLocaleString()} / ${t.toLocaleString()} 행`, badToken: '토큰을 읽을 수 없어요.',
    },
    en: {
      title: 'Case statistics download', signIn: 'Sign in', signOut: 'Sign out', token: 'Token',
      signInHelp: 'Paste the token of a team member who holds the download permission.', period: 'Period', from: 'From', to: 'To',
      timezone: 'Time zone', filters: 'Filters', teams: 'Team IDs', assignees: 'Assignee IDs', tags: 'Tags',
      fileProtection: 'File protection', password: 'File password', passwordHint: 'Letters and digits only, 4–64. Lose it and the file cannot be opened.',
      reason: 'Reason for download', download: 'Download', progress: 'Progress', recent: 'Recent exports', requested: 'Requested',
      status: 'Status', rows: 'Rows', medium: 'Medium', direction: 'Direction', caseState: 'Case state', chatState: 'Chat state',
      rangeHint: (a, b) => `Available from ${a}; with this start, up to ${b}`, fileLink: 'Get file',
      needFrom: 'Enter a start date.', needTo: 'Enter an end date.', badPassword: 'The password must be 4 to 64 letters or digits.',
      needReason: 'Enter a reason (up to 500 characters).', tooEarly: (d) => `The start date must be on or after ${d}.`,
      reversed: 'The end date cannot be before the start date.', tooLong: (d) => `Six months at most: the end date can be ${d} at the latest.`,
      queued: 'queued', running: 'running', succeeded: 'done', failed: 'failed', expired: 'expired',
      progressText: (w, t) => `${w.toLocaleString()} / ${t.toLocaleString()} rows`, badToken: 'This token cannot be read.',
    },
  };
  const OPTIONS = {
    mediumNames: ['inAppChat', 'phoneNumber', 'email', 'appNaverTalk', 'appInstagramMessenger', 'appLine', 'appKakao'],
    directions: ['INBOUND', 'OUTBOUND'],
    caseStates: ['inProgress', 'completed'],
    userChatStates: ['queued', 'open', 'snoozed', 'missed', 'closed'],
  };
  const LABEL = { mediumNames: 'medium', directions: 'direction', caseStates: 'caseState', userChatStates: 'chatState' };
  const $ = (id) => document.getElementById(id);
  let lang = localStorage.getItem('casestats.lang') || 'ko';
  let rules = { statsStartDate: '2025-06-26', defaultTimezone: 'Asia/Seoul' };
  let token = null;
  let member = null;
  let polling = null;
  const t = (key, ...args) => { const v = T[lang][key]; return typeof v === 'function' ? v(...args) : v; };

  // Six months on, the same day number or the month's last day (export.md).
  function latestTo(from) {
    const [y, m, d] = from.split('-').map(Number);
    const last = new Date(Date.UTC(y, m - 1 + 7, 0)).getUTCDate();
    return new Date(Date.UTC(y, m - 1 + 6, Math.min(d, last))).toISOString().slice(0, 10);
  }

  function applyLanguage() {
    document.documentElement.lang = lang;
    document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
    $('lang').textContent = lang === 'ko' ? 'English' : '한국어';
    for (const [filter, values] of Object.entries(OPTIONS)) {
      const box = $(filter);
      const checked = new Set([...box.querySelectorAll('input:checked')].map((i) => i.value));
      box.innerHTML = `<strong>${t(LABEL[filter])}</strong>` + values.map((v) =>
        `<label><input type="checkbox" value="${v}" ${checked.has(v) ? 'checked' : ''}> ${v}</label>`).join('');
    }
    updateRange();
    if (member) renderRecent();
  }

  function decodeToken(raw) {
    const part = raw.split('.')[1];
    const json = decodeURIComponent(escape(atob(part.replace(/-/g, '+').replace(/_/g, '/'))));
    return JSON.parse(json);
  }

  function signIn(raw) {
    try {
      const claims = decodeToken(raw.trim());
      if (!claims.channelId) throw new Error('no channel');
      token = raw.trim();
      member = claims;
      sessionStorage.setItem('casestats.token', token);
      $('who').textContent = `${claims.name || claims.sub} · ${claims.channelId}`;
      $('signin').hidden = true;
      $('app').hidden = false;
      $('signout').hidden = false;
      renderRecent();
      return true;
    } catch {
      $('token-error').textContent = t('badToken');
      return false;
    }
  }

  function signOut() {
    sessionStorage.removeItem('casestats.token');
    token = null; member = null;
    $('app').hidden = true; $('signin').hidden = false; $('signout').hidden = true; $('who').textContent = '';
  }

  function api(path, init = {}) {
    return fetch(path, { ...init, headers: { ...(init.headers || {}), Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } });
  }
  const base = () => `/api/channels/${encodeURIComponent(member.channelId)}/case-exports`;

  function updateRange() {
    const from = $('from').value;
    $('from').min = rules.statsStartDate;
    $('to').min = from || rules.statsStartDate;
    if (from) $('to').max = latestTo(from); else $('to').removeAttribute('max');
    $('range-hint').textContent = t('rangeHint', rules.statsStartDate, from ? latestTo(from) : '…');
  }

  function showErrors(problems) {
    document.querySelectorAll('[data-error-for]').forEach((el) => { el.textContent = ''; });
    document.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
    $('form-error').textContent = '';
    for (const p of problems) {
      const slot = document.querySelector(`[data-error-for="${p.field}"]`);
      const input = $(p.field.replace('filters.', ''));
      if (input) input.setAttribute('aria-invalid', 'true');
      if (slot) slot.textContent = (slot.textContent ? slot.textContent + ' ' : '') + p.message;
      else $('form-error').textContent = p.message;
    }
  }

  function clientProblems(body) {
    const out = [];
    if (!body.from) out.push({ field: 'from', message: t('needFrom') });
    if (!body.to) out.push({ field: 'to', message: t('needTo') });
    if (body.from && body.from < rules.statsStartDate) out.push({ field: 'from', message: t('tooEarly', rules.statsStartDate) });
    if (body.from && body.to && body.to < body.from) out.push({ field: 'to', message: t('reversed') });
    else if (body.from && body.to && body.to > latestTo(body.from)) out.push({ field: 'to', message: t('tooLong', latestTo(body.from)) });
    if (!/^[A-Za-z0-9]{4,64}$/.test(body.password)) out.push({ field: 'password', message: t('badPassword') });
    if (!body.reason.trim() || body.reason.trim().length > 500) out.push({ field: 'reason', message: t('needReason') });
    return out;
  }

  function readForm() {
    const list = (id) => $(id).value.split(',').map((s) => s.trim()).filter(Boolean);
    const checked = (id) => [...$(id).querySelectorAll('input:checked')].map((i) => i.value);
    const filters = { teamIds: list('teamIds'), assigneeIds: list('assigneeIds'), tags: list('tags') };
    for (const f of Object.keys(OPTIONS)) filters[f] = checked(f);
    return { from: $('from').value, to: $('to').value, timezone: $('timezone').value || rules.defaultTimezone, password: $('password').value, reason: $('reason').value, filters };
  }

  async function submit(ev) {
    ev.preventDefault();
    const body = readForm();
    const local = clientProblems(body);
    showErrors(local);
    if (local.length) return;
    $('submit').disabled = true;
    try {
      const res = await api(base(), { method: 'POST', body: JSON.stringify(body) });
      const json = await res.json();
      if (res.status === 401) return signOut();
      if (!res.ok) return showErrors(json.problems && json.problems.length ? json.problems : [{ field: 'form', message: json.message }]);
      $('password').value = '';
      watch(json.id);
    } finally {
      $('submit').disabled = false;
    }
  }

  function setProgress(job) {
    const pct = job.totalRows ? Math.floor((job.rowsWritten / job.totalRows) * 100) : job.status === 'succeeded' ? 100 : 0;
    const done = job.status === 'succeeded' ? 100 : pct;
    $('bar-fill').style.width = `${done}%`;
    $('bar').setAttribute('aria-valuenow', String(done));
    $('progress-text').textContent = `${t(job.status)} · ${t('progressText', job.rowsWritten, job.totalRows)} · ${done}%` + (job.error ? ` · ${job.error}` : '');
  }

  function watch(id) {
    clearInterval(polling);
    $('progress-box').hidden = false;
    const tick = async () => {
      const res = await api(`${base()}/${id}`);
      if (!res.ok) return;
      const job = await res.json();
      setProgress(job);
      if (['succeeded', 'failed', 'expired'].includes(job.status)) {
        clearInterval(polling);
        renderRecent();
      }
    };
    polling = setInterval(tick, 400);
    tick();
  }

  async function download(job) {
    const res = await api(`${base()}/${job.id}/file`);
    if (!res.ok) { $('form-error').textContent = (await res.json()).message; return; }
    const blob = await res.blob();
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = job.fileName;
    document.body.appendChild(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  async function renderRecent() {
    const res = await api(base());
    if (res.status === 401) return signOut();
    if (!res.ok) return;
    const { exports } = await res.json();
    const tbody = $('recent').querySelector('tbody');
    tbody.innerHTML = '';
    for (const job of exports) {
      const tr = document.createElement('tr');
      const cells = [new Date(job.createdAt).toLocaleString(), `${job.from} ~ ${job.to}`, t(job.status), `${job.rowsWritten}/${job.totalRows}`];
      cells.forEach((text, i) => { const td = document.createElement('td'); td.textContent = text; if (i === 2) td.className = `status-${job.status}`; tr.appendChild(td); });
      const td = document.createElement('td');
      if (job.status === 'succeeded') {
        const b = document.createElement('button');
        b.type = 'button'; b.textContent = t('fileLink'); b.className = 'download'; b.dataset.id = job.id;
        b.addEventListener('click', () => download(job));
        td.appendChild(b);
      }
      tr.appendChild(td);
      tbody.appendChild(tr);
    }
  }

  async function init() {
    try { rules = await (await fetch('/api/export-rules')).json(); } catch { /* defaults */ }
    $('timezone').value = rules.defaultTimezone;
    $('zones').innerHTML = ['Asia/Seoul', 'Asia/Tokyo', 'UTC', 'America/Los_Angeles', 'America/New_York', 'Europe/London'].map((z) => `<option value="${z}">`).join('');
    $('from').addEventListener('change', updateRange);
    $('export-form').addEventListener('submit', submit);
    $('lang').addEventListener('click', () => { lang = lang === 'ko' ? 'en' : 'ko'; localStorage.setItem('casestats.lang', lang); applyLanguage(); });
    $('signout').addEventListener('click', signOut);
    $('signin-button').addEventListener('click', () => signIn($('token').value));
    applyLanguage();
    const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
    if (fromHash) history.replaceState(null, '', location.pathname);
    const saved = fromHash || sessionStorage.getItem('casestats.token');
    if (!saved || !signIn(saved)) { $('signin').hidden = false; }
  }
  init();
})();
