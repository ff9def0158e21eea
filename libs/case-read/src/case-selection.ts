import type { StatsFilters } from '@casestats/case-stats';
/**
 * "Which cases" (export.md, dashboard.md), once: one channel, a half-open range of case creation,
 * and the filters. The export's snapshot, its count, and the dashboard's case list all read
 * through selectionWhere(); the dashboard's figures apply the same selection to their in-memory
 * table (libs/case-stats), and test/dashboard-agreement.int.spec.ts holds the two to agreement.
 * The filters are case-stats' StatsFilters, declared once: a filter added there is one here.
 */
export interface CaseSelection extends StatsFilters {
  channelId: string;
  from: Date;
  toExclusive: Date;
}

export type CaseFilterKey = Exclude<keyof CaseSelection, 'channelId' | 'from' | 'toExclusive'>;

/** Each filter: its column, and how a case matches (one of the values; for tags, any of them). */
export const CASE_FILTERS: readonly { key: CaseFilterKey; column: string; op: '= ANY' | '&&' }[] = [
  { key: 'teamIds', column: 'team_id', op: '= ANY' },
  { key: 'assigneeIds', column: 'assignee_id', op: '= ANY' },
  { key: 'mediumNames', column: 'medium_name', op: '= ANY' },
  { key: 'directions', column: 'direction', op: '= ANY' },
  { key: 'caseStates', column: 'case_state', op: '= ANY' },
  { key: 'userChatStates', column: 'user_chat_state', op: '= ANY' },
  // "A case matches if it has any of them."
  { key: 'tags', column: 'tags', op: '&&' },
];

export function selectionWhere(sel: CaseSelection, alias = 'r'): { where: string; params: unknown[] } {
  const params: unknown[] = [sel.channelId, sel.from.toISOString(), sel.toExclusive.toISOString()];
  const clauses = [`${alias}.channel_id = $1`, `${alias}.case_created_at >= $2`, `${alias}.case_created_at < $3`];
  for (const { key, column, op } of CASE_FILTERS) {
    const values = sel[key];
    if (!values?.length) continue;
    params.push(values);
    clauses.push(`${alias}.${column} ${op}($${params.length}::text[])`);
  }
  return { where: clauses.join(' AND '), params };
}
