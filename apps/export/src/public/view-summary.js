// The view a download will hold, restated in words: period, time zone, and each chosen filter by name.
import { LABEL } from './messages.js';

/** `names`: the chosen values' names per filter, in the page's language. Returns <dt>/<dd> pairs. */
export function viewSummary(view, names, t) {
  const pair = (term, value) => [Object.assign(document.createElement('dt'), { textContent: term }), Object.assign(document.createElement('dd'), { textContent: value })];
  const chosen = Object.keys(LABEL).filter((f) => names[f]?.length).map((f) => `${t(LABEL[f])}: ${names[f].join(', ')}`);
  return [
    ...pair(t('viewPeriod'), `${view.from} ~ ${view.to}`),
    ...pair(t('viewZone'), view.timezone),
    ...pair(t('viewFilters'), chosen.length ? chosen.join(' · ') : t('noFilters')),
  ];
}
