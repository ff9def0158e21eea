// The export page: vanilla JS, no build step. The server validates everything again; these checks
// only put the message next to the field sooner.
'use strict';
(function () {
  const T = {
    ko: {
      title: '케이스별 상담 통계 다운로드', signIn: '로그인', signOut: '로그아웃', token: '토큰',
      signInHelp: '다운로드 권한이 있는 팀 멤버의 토큰을 붙여 넣으세요.', period: '기간', from: '시작일', to: '종료일',
      timezone: '시간대', filters: '필터', teams: '담당팀 ID', assignees: '담당자 ID', tags: '태그',
      fileProtection: '파일 보호', password: '파일 비밀번호', passwordConfirm: '파일 비밀번호 확인',
      passwordHint: '영문과 숫자만, 4~64자. 비밀번호는 어디에도 저장되지 않아요. 분실하면 파일을 열 수 없으니 새 비밀번호로 다운로드를 다시 요청하세요. 이미 받은 파일은 그 파일의 비밀번호로만 열려요.',
      reason: '다운로드 사유', download: '다운로드', progress: '진행 상황', recent: '최근 다운로드', requested: '요청',
      status: '상태', rows: '행', medium: '연동 서비스', direction: '시작 방식', caseState: '기록 상태', chatState: '상담 상태',
      options: {
        inAppChat: '채널톡 메시지', phoneNumber: '전화', email: '이메일', appNaverTalk: '네이버톡톡', appInstagramMessenger: '인스타그램 메신저',
        appLine: '라인', appKakao: '카카오', INBOUND: '수신', OUTBOUND: '발신', inProgress: '기록중', completed: '완료',
        queued: '대기열', open: '진행중', missed: '부재중', snoozed: '보류됨', closed: '종료됨',
      },
      rangeHint: (a, b) => `조회 가능: ${a}부터, 종료일은 ${b}까지`, fileLink: '파일 받기',
      needFrom: '시작일을 입력하세요.', needTo: '종료일을 입력하세요.', badPassword: '비밀번호는 영문과 숫자 4~64자여야 해요.',
      passwordMismatch: '비밀번호가 일치하지 않아요. 같은 비밀번호를 한 번 더 입력하세요.',
      needReason: '다운로드 사유를 입력하세요 (500자 이내).', tooEarly: (d) => `시작일은 ${d} 이후여야 해요.`,
      reversed: '종료일이 시작일보다 빠를 수 없어요.', tooLong: (d) => `최대 6개월: 종료일은 ${d}까지 가능해요.`,
      badDate: '날짜를 YYYY-MM-DD 형식으로 입력하세요.', badZone: (z) => `‘${z}’은(는) 알 수 없는 시간대예요. Asia/Seoul 같은 IANA 시간대 이름을 입력하세요.`,
      badFilter: (f) => `${f}: 선택할 수 없는 값이 있어요. 페이지를 새로고침한 뒤 다시 선택하세요.`,
      tooManyRows: (count, max) => `${count === undefined ? '조건에 맞는 케이스가 너무 많아요' : `조건에 맞는 케이스 ${koCount(count)}`} — 최대 ${koCount(max)}까지 받을 수 있어요. 기간을 줄이거나 필터를 추가하세요.`,
      noPermission: '다운로드 권한이 없어요. 관리자에게 권한을 요청하세요.', deniedTitle: '다운로드 권한 없음',
      otherChannel: '이 토큰은 다른 채널의 것이에요. 이 채널의 토큰으로 다시 로그인하세요.',
      tokenExpired: '로그인이 만료됐어요. 새 토큰으로 다시 로그인하세요.', tokenInvalid: '토큰이 유효하지 않아요. 새 토큰으로 다시 로그인하세요.',
      notFound: '이 다운로드 요청을 찾을 수 없어요. 목록을 새로고침하세요.', notReady: '파일이 아직 준비되지 않았어요. 완료된 뒤에 받으세요.',
      fileExpired: '파일이 만료되어 삭제됐어요. 다운로드를 다시 요청하세요.', badRequest: '요청을 처리할 수 없어요. 페이지를 새로고침한 뒤 다시 시도하세요.',
      tooLarge: '요청이 너무 커요. 필터 값의 개수를 줄이세요.', internal: '서버에서 요청을 처리하지 못했어요. 잠시 후 다시 요청하세요.',
      network: '서버에 연결할 수 없어요. 잠시 후 다시 시도하세요.', unknown: (m) => `요청이 거절됐어요${m ? ` (${m})` : ''}.`,
      jobInterrupted: '서버가 중단되어 파일을 끝까지 만들지 못했어요. 다운로드를 다시 요청하세요.',
      jobFailed: (m) => `파일을 만들지 못했어요. 다운로드를 다시 요청하세요.${m ? ` (${m})` : ''}`,
      expiresAt: ['', '에 삭제돼요.'], // around the local time
      queued: '대기 중', running: '진행 중', succeeded: '완료', failed: '실패', expired: '만료',
      progressText: (w, t) => `${w.toLocaleString()} / ${t.toLocaleString()} 행`, badToken: '토큰을 읽을 수 없어요.',
    },
    en: {
      title: 'Case statistics download', signIn: 'Sign in', signOut: 'Sign out', token: 'Token',
      signInHelp: 'Paste the token of a team member who holds the download permission.', period: 'Period', from: 'From', to: 'To',
      timezone: 'Time zone', filters: 'Filters', teams: 'Team IDs', assignees: 'Assignee IDs', tags: 'Tags',
      fileProtection: 'File protection', password: 'File password', passwordConfirm: 'Confirm file password',
      passwordHint: 'Letters and digits only, 4–64. The password is never stored. Lose it and the file cannot be opened: request the export again with a new password. A file already downloaded opens only with its own password.',
      reason: 'Reason for download', download: 'Download', progress: 'Progress', recent: 'Recent exports', requested: 'Requested',
      status: 'Status', rows: 'Rows', medium: 'Connected service', direction: 'Started by', caseState: 'Case state', chatState: 'Chat state',
      options: {
        inAppChat: 'In-app chat', phoneNumber: 'Phone', email: 'Email', appNaverTalk: 'Naver TalkTalk', appInstagramMessenger: 'Instagram Messenger',
        appLine: 'LINE', appKakao: 'Kakao', INBOUND: 'Inbound', OUTBOUND: 'Outbound', inProgress: 'Recording', completed: 'Completed',
        queued: 'Queued', open: 'Open', missed: 'Missed', snoozed: 'Snoozed', closed: 'Closed',
      },
      rangeHint: (a, b) => `Available from ${a}; with this start, up to ${b}`, fileLink: 'Get file',
      needFrom: 'Enter a start date.', needTo: 'Enter an end date.', badPassword: 'The password must be 4 to 64 letters or digits.',
      passwordMismatch: 'The passwords do not match. Enter the same password twice.',
      needReason: 'Enter a reason (up to 500 characters).', tooEarly: (d) => `The start date must be on or after ${d}.`,
      reversed: 'The end date cannot be before the start date.', tooLong: (d) => `Six months at most: the end date can be ${d} at the latest.`,
      badDate: 'Enter the date as YYYY-MM-DD.', badZone: (z) => `“${z}” is not a known time zone. Enter an IANA name such as Asia/Seoul.`,
      badFilter: (f) => `${f}: a value cannot be chosen. Reload the page and choose again.`,
      tooManyRows: (count, max) => `${count === undefined ? 'Too many' : count.toLocaleString('en-US')} cases match — an export holds at most ${max.toLocaleString('en-US')}. Shorten the period or add filters.`,
      noPermission: 'You do not have the download permission. Ask an administrator for it.', deniedTitle: 'No download permission',
      otherChannel: 'This token is for another channel. Sign in with a token for this channel.',
      tokenExpired: 'Your sign-in has expired. Sign in with a new token.', tokenInvalid: 'This token is not valid. Sign in with a new token.',
      notFound: 'This export cannot be found. Refresh the list.', notReady: 'The file is not ready yet. Get it once the export is done.',
      fileExpired: 'The file has expired and was deleted. Request the export again.', badRequest: 'The request could not be processed. Reload the page and try again.',
      tooLarge: 'The request is too large. Use fewer filter values.', internal: 'The server could not process the request. Try again in a moment.',
      network: 'The server cannot be reached. Try again in a moment.', unknown: (m) => `The request was refused${m ? ` (${m})` : ''}.`,
      jobInterrupted: 'The server stopped before the file was finished. Request the export again.',
      jobFailed: (m) => `The file could not be made. Request the export again.${m ? ` (${m})` : ''}`,
      expiresAt: ['Deleted at ', '.'],
      queued: 'queued', running: 'running', succeeded: 'done', failed: 'failed', expired: 'expired',
      progressText: (w, t) => `${w.toLocaleString()} / ${t.toLocaleString()} rows`, badToken: 'This token cannot be read.',
    },
  };
  // The values are what the API takes (export.md); the labels are the guide's.
  const OPTIONS = {
    mediumNames: ['inAppChat', 'phoneNumber', 'email', 'appNaverTalk', 'appInstagramMessenger', 'appLine', 'appKakao'],
    directions: ['INBOUND', 'OUTBOUND'],
    caseStates: ['inProgress', 'completed'],
    userChatStates: ['queued', 'open', 'missed', 'snoozed', 'closed'],
  };
  const LABEL = { mediumNames: 'medium', directions: 'direction', caseStates: 'caseState', userChatStates: 'chatState', teamIds: 'teams', assigneeIds: 'assignees', tags: 'tags' };
  const PERMISSION = 'caseStats:download';
  const REFRESH_MS = 30_000;
  const $ = (id) => document.getElementById(id);
  let lang = localStorage.getItem('casestats.lang') || 'ko';
  let rules = { statsStartDate: '2025-06-26', defaultTimezone: 'Asia/Seoul', maxRows: 1_000_000 };
  let token = null;
  let member = null;
  let polling = null;
  let refreshing = null;
  let expiryTimer = null;
  let signOutTimer = null;
  let recentSeq = 0;
  let watched = null; // the job of the progress box, as last seen
  const t = (key, ...args) => { const v = T[lang][key] ?? T.ko[key]; return typeof v === 'function' ? v(...args) : v; };

  // 1000000 → "100만 건", 949 → "949건": as the guide writes counts.
  function koCount(n) {
    if (n >= 10_000 && n % 10_000 === 0) return `${(n / 10_000).toLocaleString('ko-KR')}만 건`;
    return `${n.toLocaleString('ko-KR')}건`;
  }

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
      box.setAttribute('aria-label', t(LABEL[filter]));
      box.innerHTML = `<strong>${t(LABEL[filter])}</strong>` + values.map((v) =>
        `<label title="${v}"><input type="checkbox" value="${v}" ${checked.has(v) ? 'checked' : ''}> ${t('options')[v]}</label>`).join('');
    }
    updateRange();
    if (watched) setProgress(watched);
    if (token) renderRecent();
  }

  function decodeToken(raw) {
    const part = raw.split('.')[1];
    const json = decodeURIComponent(escape(atob(part.replace(/-/g, '+').replace(/_/g, '/'))));
    return JSON.parse(json);
  }

  const expired = (claims) => typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now();

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
    if (!claims.permissions.includes(PERMISSION)) {
      sessionStorage.removeItem('casestats.token');
      $('app').hidden = true;
      $('denied').hidden = false;
      return true;
    }
    token = raw.trim();
    sessionStorage.setItem('casestats.token', token);
    $('denied').hidden = true;
    $('app').hidden = false;
    if (typeof claims.exp === 'number') {
      const left = claims.exp * 1000 - Date.now();
      if (left < 2 ** 31 - 1) signOutTimer = setTimeout(() => signOut(t('tokenExpired')), left);
    }
    renderRecent();
    refreshing = setInterval(renderRecent, REFRESH_MS);
    return true;
  }

  function signOut(message = '') {
    sessionStorage.removeItem('casestats.token');
    token = null; member = null; watched = null;
    clearInterval(polling); clearInterval(refreshing); clearTimeout(expiryTimer); clearTimeout(signOutTimer);
    $('password').value = ''; $('passwordConfirm').value = '';
    $('progress-box').hidden = true;
    $('recent').querySelector('tbody').innerHTML = '';
    $('app').hidden = true; $('denied').hidden = true; $('signin').hidden = false; $('signout').hidden = true; $('who').textContent = '';
    $('token-error').textContent = message;
  }

  function api(path, init = {}) {
    return fetch(path, { ...init, headers: { ...(init.headers || {}), Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } });
  }
  const base = () => `/api/channels/${encodeURIComponent(member.channelId)}/case-exports`;

  // A JSON call: { ok, status, answer }. A failed connection is status 0; a 401 signs out.
  async function call(path, init) {
    let res;
    try { res = await api(path, init); } catch { return { ok: false, status: 0, answer: { code: 'NETWORK' } }; }
    let answer = {};
    try { answer = await res.json(); } catch { /* not JSON: the code below says what */ }
    if (!res.ok && !answer.code) answer = { code: res.status >= 500 ? 'INTERNAL' : 'INPUT.INVALID' };
    if (res.status === 401) signOut(authMessage());
    return { ok: res.ok, status: res.status, answer };
  }

  const authMessage = () => (member && expired(member) ? t('tokenExpired') : t('tokenInvalid'));

  // The page's words for an error code of the API (app-error.ts); the server's English text only
  // for a code this page does not know.
  function codeMessage(answer) {
    switch (answer.code) {
      case 'AUTH.UNAUTHENTICATED': return authMessage();
      // The page asks only for the channel in the token, so a refusal with the permission held is the channel.
      case 'AUTH.FORBIDDEN': return member && member.permissions.includes(PERMISSION) ? t('otherChannel') : t('noPermission');
      case 'EXPORT.NOT_FOUND': case 'INPUT.NOT_FOUND': return t('notFound');
      case 'EXPORT.NOT_READY': return t('notReady');
      case 'EXPORT.EXPIRED': return t('fileExpired');
      case 'EXPORT.TOO_MANY_ROWS': return t('tooManyRows', answer.count, answer.maxRows ?? rules.maxRows);
      case 'EXPORT.TOO_EARLY': return t('tooEarly', rules.statsStartDate);
      case 'EXPORT.RANGE_REVERSED': return t('reversed');
      case 'EXPORT.BAD_PASSWORD': return t('badPassword');
      case 'EXPORT.BAD_REASON': return t('needReason');
      case 'EXPORT.INVALID_REQUEST': case 'INPUT.INVALID': return t('badRequest');
      case 'INPUT.TOO_LARGE': return t('tooLarge');
      case 'INTERNAL': case 'CONFIG.INVALID': return t('internal');
      case 'NETWORK': return t('network');
      default: return t('unknown', answer.message);
    }
  }

  // Field by field: the rule broken, in the page's words, next to the field it concerns.
  function answerProblems(answer, body) {
    const given = Array.isArray(answer.problems) && answer.problems.length ? answer.problems : [{ field: 'form', code: answer.code, message: answer.message }];
    return given.map((p) => {
      const code = p.code || answer.code;
      const field = String(p.field || 'form');
      let message;
      if (code === 'EXPORT.RANGE_TOO_LONG') message = t('tooLong', latestTo(body.from));
      else if (code === 'EXPORT.INVALID_REQUEST' && (field === 'from' || field === 'to')) message = t('badDate');
      else if (code === 'EXPORT.INVALID_REQUEST' && field === 'timezone') message = t('badZone', body.timezone);
      else if (code === 'EXPORT.INVALID_REQUEST' && field.startsWith('filters.') && LABEL[field.slice(8)]) message = t('badFilter', t(LABEL[field.slice(8)]));
      else message = codeMessage({ ...answer, code, message: p.message });
      return { field, message };
    });
  }

  // A failed job says why in English text (no code): the known reasons in the page's words.
  function jobError(job) {
    const text = job.error || '';
    if (/interrupted|stopping|shutting down/.test(text)) return t('jobInterrupted');
    const cap = /^([\d,]+) cases match; an export holds at most ([\d,]+)/.exec(text);
    if (cap) return t('tooManyRows', Number(cap[1].replace(/,/g, '')), Number(cap[2].replace(/,/g, '')));
    return t('jobFailed', text);
  }

  function updateRange() {
    const from = $('from').value;
    $('from').min = rules.statsStartDate;
    $('to').min = from || rules.statsStartDate;
    if (from) $('to').max = latestTo(from); else $('to').removeAttribute('max');
    $('range-hint').textContent = t('rangeHint', rules.statsStartDate, from ? latestTo(from) : '…');
  }

  function showErrors(problems) {
    document.querySelectorAll('[data-error-for]').forEach((el) => { el.textContent = ''; });
    document.querySelectorAll('#export-form [aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
    $('form-error').textContent = '';
    for (const p of problems) {
      const slot = document.querySelector(`[data-error-for="${CSS.escape(p.field)}"]`) || $('form-error');
      const input = $(p.field.replace('filters.', ''));
      if (input && $('export-form').contains(input)) input.setAttribute('aria-invalid', 'true');
      slot.textContent = (slot.textContent ? slot.textContent + ' ' : '') + p.message;
    }
    // The first field to fix, in the form's order; a group of checkboxes takes focus on its first box.
    const first = $('export-form').querySelector('[aria-invalid="true"]');
    if (first) (first.matches('input, textarea') ? first : first.querySelector('input'))?.focus();
  }

  function clientProblems(body, confirm) {
    const out = [];
    if (!body.from) out.push({ field: 'from', message: t('needFrom') });
    if (!body.to) out.push({ field: 'to', message: t('needTo') });
    if (body.from && body.from < rules.statsStartDate) out.push({ field: 'from', message: t('tooEarly', rules.statsStartDate) });
    if (body.from && body.to && body.to < body.from) out.push({ field: 'to', message: t('reversed') });
    else if (body.from && body.to && body.to > latestTo(body.from)) out.push({ field: 'to', message: t('tooLong', latestTo(body.from)) });
    if (!/^[A-Za-z0-9]{4,64}$/.test(body.password)) out.push({ field: 'password', message: t('badPassword') });
    if (confirm !== body.password) out.push({ field: 'passwordConfirm', message: t('passwordMismatch') });
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
    const local = clientProblems(body, $('passwordConfirm').value);
    showErrors(local);
    if (local.length) return;
    $('submit').disabled = true;
    try {
      const { ok, status, answer } = await call(base(), { method: 'POST', body: JSON.stringify(body) });
      if (status === 401) return;
      if (!ok) return showErrors(answerProblems(answer, body));
      $('password').value = '';
      $('passwordConfirm').value = '';
      watch(answer.id);
      renderRecent();
    } finally {
      $('submit').disabled = false;
    }
  }

  // Past its expiresAt a file is gone, whether or not housekeeping has marked the job yet.
  const statusOf = (job) => (job.status === 'succeeded' && job.expiresAt && Date.parse(job.expiresAt) <= Date.now() ? 'expired' : job.status);

  function setProgress(job) {
    watched = job;
    const status = statusOf(job);
    const pct = job.totalRows ? Math.floor((job.rowsWritten / job.totalRows) * 100) : job.status === 'succeeded' ? 100 : 0;
    const done = job.status === 'succeeded' || status === 'expired' ? 100 : pct;
    $('bar-fill').style.width = `${done}%`;
    $('bar').setAttribute('aria-valuenow', String(done));
    const text = `${t(status)} · ${t('progressText', job.rowsWritten, job.totalRows)} · ${done}%` +
      (job.status === 'failed' ? ` · ${jobError(job)}` : status === 'expired' ? ` · ${t('fileExpired')}` : '');
    // A live region: written only when it changes, so a screen reader is not told the same thing each poll.
    if ($('progress-text').textContent !== text) $('progress-text').textContent = text;
    $('progress-file').hidden = status !== 'succeeded';
    if (status === 'succeeded') {
      const when = job.expiresAt ? new Date(job.expiresAt) : null;
      const expiry = $('progress-expiry');
      expiry.textContent = '';
      if (when) {
        const time = document.createElement('time');
        time.dateTime = when.toISOString();
        time.textContent = when.toLocaleString(lang === 'ko' ? 'ko-KR' : 'en-US');
        const [before, after] = t('expiresAt');
        expiry.append(before, time, after);
      }
    }
  }

  function watch(id) {
    clearInterval(polling);
    watched = null;
    $('progress-box').hidden = false;
    $('progress-error').textContent = '';
    $('progress-file').hidden = true;
    $('progress-text').textContent = '';
    const tick = async () => {
      const { ok, answer } = await call(`${base()}/${id}`);
      if (!ok || !token) return;
      setProgress(answer);
      if (['succeeded', 'failed', 'expired'].includes(answer.status)) {
        clearInterval(polling);
        renderRecent();
      }
    };
    polling = setInterval(tick, 400);
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
    a.download = job.fileName;
    document.body.appendChild(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  // The list is fetched on sign-in, every REFRESH_MS, when a job ends, and again when a listed file
  // reaches its expiresAt, so that a row never offers a file that is gone.
  async function renderRecent() {
    const seq = ++recentSeq;
    const { ok, answer } = await call(base());
    if (seq !== recentSeq || !token) return;
    if (!ok) { $('recent-error').textContent = codeMessage(answer); return; }
    $('recent-error').textContent = '';
    const tbody = $('recent').querySelector('tbody');
    tbody.innerHTML = '';
    let next = Infinity;
    for (const job of answer.exports) {
      const status = statusOf(job);
      const tr = document.createElement('tr');
      const cells = [new Date(job.createdAt).toLocaleString(lang === 'ko' ? 'ko-KR' : 'en-US'), `${job.from} ~ ${job.to}`, t(status), `${job.rowsWritten}/${job.totalRows}`];
      cells.forEach((text, i) => {
        const td = document.createElement('td');
        td.textContent = text;
        if (i === 2) { td.className = `status-${status}`; if (job.status === 'failed') td.title = jobError(job); }
        tr.appendChild(td);
      });
      const td = document.createElement('td');
      if (status === 'succeeded') {
        const b = document.createElement('button');
        b.type = 'button'; b.textContent = t('fileLink'); b.className = 'download'; b.dataset.id = job.id;
        b.addEventListener('click', () => download(job, $('recent-error')));
        td.appendChild(b);
        if (job.expiresAt) next = Math.min(next, Date.parse(job.expiresAt));
      }
      tr.appendChild(td);
      tbody.appendChild(tr);
      if (watched && watched.id === job.id && ['succeeded', 'expired'].includes(watched.status)) setProgress(job);
    }
    clearTimeout(expiryTimer);
    if (next - Date.now() < REFRESH_MS) expiryTimer = setTimeout(renderRecent, Math.max(0, next - Date.now()) + 50);
  }

  async function init() {
    try { rules = { ...rules, ...(await (await fetch('/api/export-rules')).json()) }; } catch { /* defaults */ }
    $('timezone').value = rules.defaultTimezone;
    $('zones').innerHTML = ['Asia/Seoul', 'Asia/Tokyo', 'UTC', 'America/Los_Angeles', 'America/New_York', 'Europe/London'].map((z) => `<option value="${z}">`).join('');
    $('from').addEventListener('change', updateRange);
    $('export-form').addEventListener('submit', submit);
    $('lang').addEventListener('click', () => { lang = lang === 'ko' ? 'en' : 'ko'; localStorage.setItem('casestats.lang', lang); applyLanguage(); });
    $('signout').addEventListener('click', () => signOut());
    $('signin-button').addEventListener('click', () => signIn($('token').value));
    $('progress-download').addEventListener('click', () => { if (watched) download(watched, $('progress-error')); });
    applyLanguage();
    const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
    if (fromHash) history.replaceState(null, '', location.pathname);
    const saved = fromHash || sessionStorage.getItem('casestats.token');
    if (!saved || !signIn(saved)) { $('signin').hidden = false; }
  }
  init();
})();
