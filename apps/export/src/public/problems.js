// What the page says about a request: the checks made before it is sent, and the API's refusals
// and failed jobs in the page's words. The server checks everything again.
import { LABEL } from './messages.js';
import { MAX_REASON, latestTo, normalizeDate, reasonLength, todayIn } from './format.js';

/** `t`: the words of the page's language; `rules()`, `member()`: the current export rules and signed-in claims. */
export function problemWords({ t, rules, member, expired, permission }) {
  const authMessage = () => (member() && expired(member()) ? t('tokenExpired') : t('tokenInvalid'));

  // The page's words for an error code of the API (app-error.ts); the server's English text only
  // for a code this page does not know.
  function codeMessage(answer) {
    switch (answer.code) {
      case 'AUTH.UNAUTHENTICATED': return authMessage();
      // The page asks only for the channel in the token, so a refusal with the permission held is the channel.
      case 'AUTH.FORBIDDEN': return member() && member().permissions.includes(permission) ? t('otherChannel') : t('noPermission');
      case 'EXPORT.NOT_FOUND': case 'INPUT.NOT_FOUND': return t('notFound');
      case 'EXPORT.NOT_READY': return t('notReady');
      case 'EXPORT.EXPIRED': return t('fileExpired');
      case 'EXPORT.TOO_MANY_ROWS': return t('tooManyRows', answer.count, answer.maxRows ?? rules().maxRows);
      case 'EXPORT.TOO_EARLY': return t('tooEarly', rules().statsStartDate);
      case 'EXPORT.RANGE_REVERSED': return t('reversed');
      case 'EXPORT.BAD_PASSWORD': return t('badPassword');
      case 'EXPORT.BAD_REASON': return t('needReason');
      case 'EXPORT.TOO_MANY_JOBS': return t('tooManyJobs');
      case 'EXPORT.STORAGE_FULL': return t('storageFull');
      case 'EXPORT.INVALID_REQUEST': case 'INPUT.INVALID': case 'INPUT.UNSUPPORTED_MEDIA_TYPE': return t('badRequest');
      case 'INPUT.TOO_LARGE': return t('tooLarge');
      case 'INPUT.RATE_LIMITED': return t('rateLimited');
      case 'DATABASE.UNAVAILABLE': return t('unavailable');
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

  function dateProblems(body) {
    const out = [];
    const today = todayIn(body.timezone);
    const from = body.from && normalizeDate(body.from);
    const to = body.to && normalizeDate(body.to);
    if (!body.from) out.push({ field: 'from', message: t('needFrom') });
    else if (!from) out.push({ field: 'from', message: t('badDate') });
    else if (from < rules().statsStartDate) out.push({ field: 'from', message: t('tooEarly', rules().statsStartDate) });
    else if (from > today) out.push({ field: 'from', message: t('futureFrom', today) });
    if (!body.to) out.push({ field: 'to', message: t('needTo') });
    else if (!to) out.push({ field: 'to', message: t('badDate') });
    else if (from && to < from) out.push({ field: 'to', message: t('reversed') });
    else if (from && to > latestTo(from)) out.push({ field: 'to', message: t('tooLong', latestTo(from)) });
    else if (to > today) out.push({ field: 'to', message: t('futureTo', today) });
    return out;
  }

  function clientProblems(body, confirm) {
    const out = dateProblems(body);
    if (!body.password) out.push({ field: 'password', message: t('needPassword') });
    else if (!/^[A-Za-z0-9]{4,64}$/.test(body.password)) out.push({ field: 'password', message: t('badPassword') });
    if (body.password && !confirm) out.push({ field: 'passwordConfirm', message: t('needConfirm') });
    else if (confirm !== body.password) out.push({ field: 'passwordConfirm', message: t('passwordMismatch') });
    const reason = reasonLength(body.reason);
    if (!reason) out.push({ field: 'reason', message: t('needReason') });
    else if (reason > MAX_REASON) out.push({ field: 'reason', message: t('reasonTooLong', reason) });
    return out;
  }

  return { authMessage, codeMessage, answerProblems, jobError, clientProblems, dateProblems };
}
