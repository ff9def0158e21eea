import type { CellValue, ColumnSpec } from '@casestats/xlsx';
import { SHEET_CASE_FIELDS, type CaseFieldDef, type FieldKind } from '@casestats/case-projection';
import { EXPORT_CASE_FIELDS, type ExportCaseField, type ExportCaseRow } from '@casestats/case-read';
import { Zone } from './zoned-time';

export interface RowContext {
  zone: Zone;
  caseUrlTemplate: string;
}

interface Column {
  header: string;
  kind: ColumnSpec['kind'];
  width?: number;
  cell(row: ExportCaseRow, ctx: CellContext): CellValue;
}

interface CellContext {
  zone: Zone;
  caseUrl: (channelId: string, userChatId: string) => string;
}

/** Rows are arrays in EXPORT_CASE_FIELDS order: each cell reads its field by a fixed index. */
const at = (field: ExportCaseField) => EXPORT_CASE_FIELDS.indexOf(field);
const CHANNEL = at('channelId');
const USER_CHAT = at('userChatId');
const PROFILE = at('profile');
const profileOf = (row: ExportCaseRow) => row[PROFILE] as Record<string, unknown>;

const SHEET_KIND: Record<FieldKind, ColumnSpec['kind']> = {
  time: 'date',
  duration: 'number',
  count: 'number',
  number: 'number',
  text: 'string',
  enum: 'string',
  profile: 'string',
};

/** How a sheet column's cell is read from a row: by the field table's kind and source. */
function cellOf(f: CaseFieldDef): Column['cell'] {
  if (f.derived && 'url' in f.derived) return (row, ctx) => ctx.caseUrl(row[CHANNEL] as string, row[USER_CHAT] as string);
  if (f.derived) {
    const key = f.derived.profileKey;
    return (row) => profileCell(profileOf(row)[key]);
  }
  const i = at(f.key as ExportCaseField);
  if (i < 0) throw new Error(`field ${f.key} is neither stored nor derived`);
  if (f.kind === 'time') {
    return (row, ctx) => {
      const ms = row[i] as number | null;
      return ms === null ? null : ctx.zone.excelSerial(ms);
    };
  }
  // Tags come joined with ", " by the query; no tags is '', an empty cell.
  return (row) => row[i] as string | number | null;
}

function profileCell(value: unknown): CellValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  return String(value);
}

export function caseUrl(template: string, channelId: string, userChatId: string): string {
  return caseUrlBuilder(template)(channelId, userChatId);
}

/**
 * The template split once at its placeholders: a million rows then cost one join each, and the
 * channel (the same on every row of an export) is encoded once.
 */
export function caseUrlBuilder(template: string): (channelId: string, userChatId: string) => string {
  const parts = template.split(/(\{channelId\}|\{userChatId\})/);
  let lastChannel = '';
  let encodedChannel = '';
  return (channelId, userChatId) => {
    if (channelId !== lastChannel) {
      lastChannel = channelId;
      encodedChannel = encodeURIComponent(channelId);
    }
    let url = '';
    for (const p of parts) url += p === '{channelId}' ? encodedChannel : p === '{userChatId}' ? encodeURIComponent(userChatId) : p;
    return url;
  };
}

/** Fields 1–44 of cases.md in export order, from the field table: the header, the cells and the tests read it. */
export const CASE_COLUMNS: Column[] = SHEET_CASE_FIELDS.map((f) => ({ header: f.key, kind: SHEET_KIND[f.kind], width: f.width, cell: cellOf(f) }));

/** The Case data sheet: the fixed columns, then one per custom profile key, sorted. */
export function caseSheet(profileKeys: string[], ctx: RowContext) {
  const columns: Column[] = [
    ...CASE_COLUMNS,
    ...profileKeys.map((key) => ({
      header: `profile.${key}`,
      kind: 'string' as const,
      cell: (row: ExportCaseRow) => profileCell(profileOf(row)[key]),
    })),
  ];
  const cells = columns.map((c) => c.cell);
  const cellCtx: CellContext = { zone: ctx.zone, caseUrl: caseUrlBuilder(ctx.caseUrlTemplate) };
  return {
    specs: columns.map(({ header, kind, width }): ColumnSpec => ({ header, kind, width })),
    /** The row's cells, written into `into` when given: a renderer that uses them at once can reuse one array for every row. */
    toCells(row: ExportCaseRow, into: CellValue[] = new Array<CellValue>(cells.length)): CellValue[] {
      for (let i = 0; i < cells.length; i++) into[i] = cells[i](row, cellCtx);
      return into;
    },
  };
}

/** The User data sheet: userId, name, then the user profile keys present, sorted. */
export function userSheet(profileKeys: string[]) {
  return {
    specs: [
      { header: 'userId', kind: 'string', width: 20 },
      { header: 'name', kind: 'string', width: 20 },
      ...profileKeys.map((k) => ({ header: `profile.${k}`, kind: 'string' as const, width: 20 })),
    ] as ColumnSpec[],
    toCells(user: { user_id: string; name: string | null; profile: Record<string, unknown> }): CellValue[] {
      return [user.user_id, user.name, ...profileKeys.map((k) => profileCell(user.profile[k]))];
    },
  };
}
