// Dates, numbers and names as the page shows them. Dates are always YYYY-MM-DD, in the boxes and
// in every message alike: the browser's own date box follows its locale, which the page cannot read.

const pad = (n) => String(n).padStart(2, '0');

/** "2025-7-1", "2025.07.01", "2025. 7. 1.", "2025/07/01" or "20250701" → "2025-07-01"; a date that does not exist → null. */
export function normalizeDate(text) {
  const s = String(text).trim();
  const m = /^(\d{4})\s*[-./]\s*(\d{1,2})\s*[-./]\s*(\d{1,2})\s*\.?$/.exec(s) || /^(\d{4})(\d{2})(\d{2})$/.exec(s);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  return `${m[1]}-${pad(mo)}-${pad(d)}`;
}

/** Six months on, the same day number or the month's last day (export.md). */
export function latestTo(from) {
  const [y, m, d] = from.split('-').map(Number);
  const last = new Date(Date.UTC(y, m - 1 + 7, 0)).getUTCDate();
  return new Date(Date.UTC(y, m - 1 + 6, Math.min(d, last))).toISOString().slice(0, 10);
}

export const earlier = (a, b) => (a <= b ? a : b);

/** The parts of an instant's wall time in `zone` (the browser's own zone if `zone` is not one). */
function wallTime(date, zone) {
  const options = { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' };
  let format;
  try { format = new Intl.DateTimeFormat('en-US', { ...options, timeZone: zone || undefined }); } catch { format = new Intl.DateTimeFormat('en-US', options); }
  return Object.fromEntries(format.formatToParts(date).map((p) => [p.type, p.value]));
}

/** Today's date in the export's time zone: the last day that can hold a case. */
export function todayIn(zone, now = new Date()) {
  const p = wallTime(now, zone);
  return `${p.year}-${p.month}-${p.day}`;
}

export function formatBytes(bytes, locale) {
  if (typeof bytes !== 'number') return '';
  const units = [['GB', 2 ** 30], ['MB', 2 ** 20], ['KB', 2 ** 10]];
  for (const [unit, size] of units) {
    if (bytes >= size) return `${(bytes / size).toLocaleString(locale, { maximumFractionDigits: 1 })} ${unit}`;
  }
  return `${bytes.toLocaleString(locale)} B`;
}

/** The server's limit on a reason (export.md), in characters. */
export const MAX_REASON = 500;

/**
 * A reason's length as the server counts it: characters (code points) once trimmed. Not UTF-16
 * units, which a textarea's maxlength counts: it stopped 500 emoji at 250, and the server takes 500.
 */
export function reasonChars(text) {
  return [...text.trim()].length;
}

/** What a person reads as the reason: no spaces or invisible characters alone; length in characters, as the server counts. */
export function reasonLength(text) {
  const visible = text.replace(/[\s\u200b-\u200d\u2060\ufeff]/g, '');
  return visible ? reasonChars(text) : 0;
}

/** Seconds as people read them: "1시간 5분", "3m 20s", "45초"; null → "–". Two largest units only. */
export function formatDuration(seconds, lang) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '–';
  const s = Math.round(seconds);
  const units = lang === 'en' ? ['d', 'h', 'm', 's'] : ['일', '시간', '분', '초'];
  const parts = [Math.floor(s / 86400), Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60), s % 60];
  const first = parts.findIndex((p) => p > 0);
  if (first < 0) return lang === 'en' ? '0s' : '0초';
  return parts.slice(first, first + 2).map((p, i) => (p ? `${p}${units[first + i]}` : '')).filter(Boolean).join(' ');
}
