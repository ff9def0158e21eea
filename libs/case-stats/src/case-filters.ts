import type { CaseStatsTable, Dictionary } from './case-stats.table';

export interface CaseFilterValues {
  teams: { id: string; name: string | null }[];
  assignees: { id: string; name: string | null }[];
  tags: string[];
  mediumNames: string[];
}

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * What the filter pickers offer for cases created in [from, toExclusive): the teams and assignees
 * (named as in the breakdowns: by the latest such case), tags and media, each sorted by id.
 */
export function caseFilterValues(t: CaseStatsTable, from: number, toExclusive: number): CaseFilterValues {
  const latestTeam = new Int32Array(t.teams.size).fill(-1);
  const latestAssignee = new Int32Array(t.assignees.size).fill(-1);
  const media = new Uint8Array(t.media.size);
  const tags = new Uint8Array(t.tagNames.size);
  const later = (i: number, l: number) => l < 0 || t.createdAt[i] > t.createdAt[l] || (t.createdAt[i] === t.createdAt[l] && t.caseIds[i] > t.caseIds[l]);
  for (let i = 0; i < t.size; i++) {
    const at = t.createdAt[i];
    if (at < from || at >= toExclusive) continue;
    if (later(i, latestTeam[t.team[i]])) latestTeam[t.team[i]] = i;
    if (later(i, latestAssignee[t.assignee[i]])) latestAssignee[t.assignee[i]] = i;
    media[t.medium[i]] = 1;
    for (let k = t.tagStart[i], end = k + t.tagCount[i]; k < end; k++) tags[t.tagPool[k]] = 1;
  }
  const named = (dict: Dictionary, latest: Int32Array, names: Int32Array) =>
    dict.values
      .flatMap((id, k) => (id !== null && latest[k] >= 0 ? [{ id, name: t.names.values[names[latest[k]]] }] : []))
      .sort((a, b) => byCodeUnits(a.id, b.id));
  const present = (dict: Dictionary, seen: Uint8Array) => dict.values.filter((v, k): v is string => v !== null && seen[k] === 1).sort(byCodeUnits);
  return {
    teams: named(t.teams, latestTeam, t.teamName),
    assignees: named(t.assignees, latestAssignee, t.assigneeName),
    tags: present(t.tagNames, tags),
    mediumNames: present(t.media, media),
  };
}
