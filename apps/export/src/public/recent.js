// The recent exports table: one row per export, enough to tell two of the same range apart (when,
// who, filters, reason) and to see what became of each (status and why, rows, size, deletion time).
import { LABEL, OPTIONS } from './messages.js';

// Teams and assignees by the names the pickers know (the job holds their ids); an unknown id as itself.
function filterSummary(filters, t, nameOf = (key, v) => v) {
  const parts = [];
  for (const key of Object.keys(LABEL)) {
    const values = filters?.[key];
    if (!Array.isArray(values) || !values.length) continue;
    const shown = values.map((v) => (OPTIONS[key] ? t('options')[v] ?? v : nameOf(key, v)));
    parts.push(`${t(LABEL[key])}: ${shown.join(', ')}`);
  }
  return parts.length ? parts.join(' · ') : t('noFilters');
}

function line(text, className) {
  const el = document.createElement('div');
  if (className) el.className = className;
  el.textContent = text;
  return el;
}

/**
 * `view`: the page's words and rules ({ t, statusOf, percentOf, jobError, formatBytes, onDownload, nameOf }).
 * Each cell carries its column's name (data-label) for the narrow layout, where rows become cards.
 */
export function renderRecentRows(table, jobs, view) {
  const { t } = view;
  const locale = t('locale');
  const number = (n) => (typeof n === 'number' ? n.toLocaleString(locale) : '');
  const heads = [...table.querySelectorAll('thead th')].map((th) => th.textContent);
  const rows = jobs.map((job) => {
    const status = view.statusOf(job);
    const tr = document.createElement('tr');
    tr.dataset.id = job.id;
    const cell = (className, ...content) => {
      const td = document.createElement('td');
      td.className = className;
      td.dataset.label = heads[tr.children.length] ?? '';
      td.append(...content);
      tr.append(td);
      return td;
    };

    const when = new Date(job.createdAt);
    const time = Object.assign(document.createElement('time'), { dateTime: when.toISOString(), textContent: when.toLocaleString(locale) });
    cell('requested', time, line(job.requestedBy?.name || job.requestedBy?.id || '', 'sub'));

    cell('period', line(`${job.from} ~ ${job.to}`), line(`${job.timezone} · ${filterSummary(job.filters, t, view.nameOf)}`, 'sub'));

    const reason = cell('reason', job.reason || '');
    reason.title = job.reason || '';

    const statusCell = cell(`status status-${status}`, line(status === 'running' ? `${t(status)} ${view.percentOf(job)}%` : t(status)));
    if (job.status === 'failed') statusCell.append(line(view.jobError(job), 'why'));

    const rows = job.status === 'succeeded' || status === 'expired' ? number(job.rowsWritten) : `${number(job.rowsWritten)} / ${number(job.totalRows)}`;
    cell('num rows', rows);
    cell('num size', job.bytes == null ? '' : view.formatBytes(job.bytes, locale));

    const file = cell('file');
    if (status === 'succeeded') {
      const b = Object.assign(document.createElement('button'), { type: 'button', textContent: t('fileLink'), className: 'download', title: job.fileName });
      b.dataset.id = job.id;
      b.addEventListener('click', () => view.onDownload(job));
      file.append(b);
      if (job.expiresAt) {
        const at = new Date(job.expiresAt);
        const shown = at.toLocaleString(locale, { month: 'numeric', day: 'numeric', hour: 'numeric', minute: '2-digit' });
        file.append(line(t('deletesAt', shown), 'sub expiry'));
      }
    } else if (status === 'expired') {
      file.append(line(t('deleted'), 'sub'));
    }
    return tr;
  });
  table.querySelector('tbody').replaceChildren(...rows);
}
