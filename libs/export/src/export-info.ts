import { CASE_FIELDS, SHEET_CASE_FIELDS, fieldUnit } from '@casestats/case-projection';
import { MAX_CELL_CHARS, TRUNCATED_MARK, type CellValue, type ColumnSpec } from '@casestats/xlsx';

/** The language of the file's own words (Export info, the field guide); the data and its keys do not change. */
export type ExportLanguage = 'ko' | 'en';
export const EXPORT_LANGUAGES: readonly ExportLanguage[] = ['ko', 'en'];
export const DEFAULT_EXPORT_LANGUAGE: ExportLanguage = 'ko';

/** What Export info says, in the order it says it. */
export interface ExportInfoFacts {
  channel: string;
  from: string;
  to: string;
  timezone: string;
  filters: Record<string, string[]>;
  reason: string;
  exportedBy: string;
  /** Local wall time of the as-of instant, in `timezone`. */
  exportedAt: string;
  caseRows: number;
  userRows: number;
}

type InfoKey = keyof ExportInfoFacts | 'asOf' | 'textLimit';

const INFO_LABELS: Record<InfoKey, Record<ExportLanguage, string>> = {
  channel: { ko: '채널', en: 'channel' },
  from: { ko: '시작일', en: 'from' },
  to: { ko: '종료일', en: 'to' },
  timezone: { ko: '시간대', en: 'timezone' },
  filters: { ko: '필터', en: 'filters' },
  reason: { ko: '다운로드 사유', en: 'reason' },
  exportedBy: { ko: '다운로드한 사람', en: 'exportedBy' },
  exportedAt: { ko: '다운로드 시각', en: 'exportedAt' },
  asOf: { ko: '기준 시점', en: 'asOf' },
  textLimit: { ko: '텍스트 길이 제한', en: 'textLimit' },
  caseRows: { ko: '케이스 행 수', en: 'caseRows' },
  userRows: { ko: '고객 행 수', en: 'userRows' },
};

/** The dashboard filters by their request keys. */
const FILTER_LABELS: Record<string, Record<ExportLanguage, string>> = {
  teamIds: { ko: '팀', en: 'teamIds' },
  assigneeIds: { ko: '담당자', en: 'assigneeIds' },
  tags: { ko: '태그', en: 'tags' },
  mediumNames: { ko: '연동 서비스', en: 'mediumNames' },
  directions: { ko: '시작 방식', en: 'directions' },
  caseStates: { ko: '기록 상태', en: 'caseStates' },
  userChatStates: { ko: '상담 상태', en: 'userChatStates' },
};

const WORDS = {
  field: { ko: '항목', en: 'field' },
  value: { ko: '값', en: 'value' },
  none: { ko: '(없음)', en: '(none)' },
  asOf: {
    ko: '다운로드 시각 기준의 기록입니다. 기록중(inProgress)인 행은 이후에 바뀔 수 있습니다.',
    en: 'records are as of exportedAt; inProgress rows may still change later',
  },
  textLimit: {
    ko: `${MAX_CELL_CHARS.toLocaleString('en-US')}자(한 셀의 최대 길이)를 넘는 텍스트는 잘리고 ${TRUNCATED_MARK}로 끝납니다.`,
    en: `a text over ${MAX_CELL_CHARS.toLocaleString('en-US')} characters (the most a cell holds) is cut and ends with ${TRUNCATED_MARK}`,
  },
} satisfies Record<string, Record<ExportLanguage, string>>;

export function exportInfoColumns(language: ExportLanguage): ColumnSpec[] {
  return [
    { header: WORDS.field[language], kind: 'string', width: 18 },
    { header: WORDS.value[language], kind: 'string', width: 60 },
  ];
}

export function exportInfoRows(facts: ExportInfoFacts, language: ExportLanguage): [string, string | number][] {
  const filters = Object.entries(facts.filters)
    .filter(([, values]) => values?.length)
    .map(([k, values]) => `${FILTER_LABELS[k]?.[language] ?? k}: ${values.join(', ')}`)
    .join('; ');
  const rows: [InfoKey, string | number][] = [
    ['channel', facts.channel],
    ['from', facts.from],
    ['to', facts.to],
    ['timezone', facts.timezone],
    ['filters', filters || WORDS.none[language]],
    ['reason', facts.reason],
    ['exportedBy', facts.exportedBy],
    ['exportedAt', `${facts.exportedAt} (${facts.timezone})`],
    ['asOf', WORDS.asOf[language]],
    ['textLimit', WORDS.textLimit[language]],
    ['caseRows', facts.caseRows],
    ['userRows', facts.userRows],
  ];
  return rows.map(([key, value]) => [INFO_LABELS[key][language], value]);
}

/** Export info read back into its keys (channel, from, …, caseRows), whichever language it was written in. */
export function exportInfoByKey(rows: [label: unknown, value: unknown][]): Partial<Record<InfoKey, unknown>> {
  const keyOf = new Map<string, InfoKey>();
  for (const [key, labels] of Object.entries(INFO_LABELS) as [InfoKey, Record<ExportLanguage, string>][]) {
    for (const label of Object.values(labels)) keyOf.set(label, key);
  }
  const out: Partial<Record<InfoKey, unknown>> = {};
  for (const [label, value] of rows) {
    const key = keyOf.get(String(label));
    if (key) out[key] = value;
  }
  return out;
}

export const FIELD_GUIDE_SHEET: Record<ExportLanguage, string> = { ko: '필드 설명', en: 'Field guide' };

/** The guide's tip for showing seconds as hours, minutes and seconds; written as text, never as a formula. */
export const SECONDS_AS_TIME_FORMULA = '=TEXT(A2/86400,"[hh]:mm:ss")';

const GUIDE_WORDS = {
  key: { ko: '데이터 값', en: 'key' },
  label: { ko: '항목명', en: 'label' },
  unit: { ko: '단위', en: 'unit' },
  remark: { ko: '설명·비고', en: 'remark' },
  tipTitle: { ko: '시:분:초로 보기', en: 'Seconds as time' },
  tip: {
    ko: '초 단위 값(waitingTime, totalReplyTime, avgReplyTime, resolutionTime, totalSnoozedTime, leadTime)을 시:분:초로 보려면 빈 셀에 왼쪽의 수식을 입력하고 A2를 값이 있는 셀 주소로 바꾸세요.',
    en: 'To show a value in seconds (waitingTime, totalReplyTime, avgReplyTime, resolutionTime, totalSnoozedTime, leadTime) as hours:minutes:seconds, enter the formula on the left in an empty cell, with A2 replaced by the cell of the value.',
  },
} satisfies Record<string, Record<ExportLanguage, string>>;

/** The field guide sheet: one row per Case data column, from the field table, then the tip. */
export function fieldGuideSheet(language: ExportLanguage): { columns: ColumnSpec[]; rows: CellValue[][] } {
  const columns: ColumnSpec[] = [
    { header: GUIDE_WORDS.key[language], kind: 'string', width: 24 },
    { header: GUIDE_WORDS.label[language], kind: 'string', width: 20 },
    { header: GUIDE_WORDS.unit[language], kind: 'string', width: 14 },
    { header: GUIDE_WORDS.remark[language], kind: 'string', width: 100 },
  ];
  const rows: CellValue[][] = SHEET_CASE_FIELDS.map((f) => [f.key, f[language].label, fieldUnit(f, language), f[language].remark]);
  // The custom profile keys follow as columns of their own, one per key present.
  const profile = CASE_FIELDS.find((f) => f.key === 'profile');
  if (profile) rows.push(['profile.{key}', profile[language].label, '', profile[language].remark]);
  rows.push([]);
  rows.push([GUIDE_WORDS.tipTitle[language], SECONDS_AS_TIME_FORMULA, '', GUIDE_WORDS.tip[language]]);
  return { columns, rows };
}
