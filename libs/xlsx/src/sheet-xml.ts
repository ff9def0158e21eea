/**
 * SpreadsheetML for one worksheet, produced row by row as strings. Kept allocation-light because it
 * runs for every cell of a million-row export: each column's fixed markup is prepared once, and a
 * string costs a single regular-expression test unless it holds something that needs escaping.
 */

export type CellValue = string | number | boolean | null | undefined;
export type ColumnKind = 'string' | 'number' | 'date';

export interface ColumnSpec {
  header: string;
  kind: ColumnKind;
  /** Width in characters (Excel's unit); date columns default to one that fits yyyy-mm-dd hh:mm:ss. */
  width?: number;
}

/** Style indexes of workbook-parts' styles.xml. */
export const STYLE_DATE_TIME = 1;
export const STYLE_HEADER = 2;

export const MAX_ROWS = 1_048_576;
export const MAX_COLUMNS = 16_384;
/** Excel refuses longer cell text. */
export const MAX_CELL_CHARS = 32_767;
/** What ends a text cut at MAX_CELL_CHARS. */
export const TRUNCATED_MARK = '…';
const DATE_COLUMN_WIDTH = 20;

const WORKSHEET_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const RELATIONSHIPS_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

/** 0 → A, 25 → Z, 26 → AA. */
export function columnLetters(index: number): string {
  let n = index + 1;
  let s = '';
  while (n > 0) {
    const m = (n - 1) % 26;
    s = String.fromCharCode(65 + m) + s;
    n = (n - 1 - m) / 26;
  }
  return s;
}

/**
 * Anything that makes a string leave the fast path: XML specials, C0 controls (tab, LF and CR
 * included, for xml:space and CR's survival), surrogates (to check pairing), the two non-characters
 * XML forbids, text that Excel would read as its own _xHHHH_ escape, and edge whitespace.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const NEEDS_CARE = /[&<>\u0000-\u001f\ud800-\udfff\ufffe\uffff]|_x[0-9a-fA-F]{4}_|^ | $/;
const EXCEL_ESCAPE_LOOKALIKE = /_x[0-9a-fA-F]{4}_/y;

const hex4 = (code: number) => code.toString(16).toUpperCase().padStart(4, '0');

/**
 * Text content of an inline string, as `<t>…</t>`. Characters XML 1.0 cannot carry become Excel's
 * `_xHHHH_` escapes (which Excel and LibreOffice turn back into the character); a literal
 * `_xHHHH_` in the data gets its underscore escaped so that Excel shows it verbatim; CR is a
 * character reference because XML parsers turn a raw CR into LF.
 */
export function inlineText(value: string): string {
  let s = value;
  if (s.length > MAX_CELL_CHARS) {
    // Excel holds no more in a cell. The cut is marked, so that it is never silent: the text ends
    // with TRUNCATED_MARK, within the limit, and never between the halves of a surrogate pair.
    const keep = MAX_CELL_CHARS - TRUNCATED_MARK.length;
    const cut = isHighSurrogate(s.charCodeAt(keep - 1)) ? keep - 1 : keep;
    s = s.slice(0, cut) + TRUNCATED_MARK;
  }
  if (!NEEDS_CARE.test(s)) return '<t>' + s + '</t>';
  let out = '';
  let from = 0;
  let preserve = s.charCodeAt(0) === 32 || s.charCodeAt(s.length - 1) === 32;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | null = null;
    if (c < 0x20) {
      if (c === 0x09 || c === 0x0a) {
        preserve = true;
        continue;
      }
      if (c === 0x0d) {
        preserve = true;
        rep = '&#13;';
      } else {
        rep = '_x' + hex4(c) + '_';
      }
    } else if (c === 0x26) rep = '&amp;';
    else if (c === 0x3c) rep = '&lt;';
    else if (c === 0x3e) rep = '&gt;';
    else if (c === 0x5f) {
      EXCEL_ESCAPE_LOOKALIKE.lastIndex = i;
      if (EXCEL_ESCAPE_LOOKALIKE.test(s)) rep = '_x005F_';
    } else if (c >= 0xd800 && c <= 0xdfff) {
      if (isHighSurrogate(c) && i + 1 < s.length && isLowSurrogate(s.charCodeAt(i + 1))) {
        i++;
        continue;
      }
      rep = '\ufffd'; // a lone surrogate cannot be encoded at all
    } else if (c === 0xfffe || c === 0xffff) rep = '_x' + hex4(c) + '_';
    if (rep !== null) {
      out += s.slice(from, i) + rep;
      from = i + 1;
    }
  }
  out += s.slice(from);
  return (preserve ? '<t xml:space="preserve">' : '<t>') + out + '</t>';
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;

export function escapeAttribute(s: string): string {
  return s.replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'));
}

/**
 * `afterGaps` (the default) writes a cell's reference (`r="C12"`) only where it does not follow the
 * cell before it: ECMA-376 makes `r` optional and places a cell without one just after the
 * previous cell, which Excel, LibreOffice and openpyxl do. A reference on every cell is a fifth
 * of a case row's XML. `all` is for readers that insist on them (xlsx-populate).
 */
export type CellReferences = 'afterGaps' | 'all';

export interface SheetXmlOptions {
  /** Marks the sheet as the selected tab (the first sheet of a workbook). */
  selected?: boolean;
  cellReferences?: CellReferences;
  /** Filter buttons on the header row, over every column and row of the sheet. */
  autoFilter?: boolean;
}

export class SheetXml {
  readonly columnCount: number;
  private readonly cellStart: string[];
  private readonly numberTail: string[];
  private readonly allReferences: boolean;

  constructor(
    private readonly columns: ColumnSpec[],
    private readonly opts: SheetXmlOptions = {},
  ) {
    if (!columns.length) throw new RangeError('a sheet needs at least one column');
    if (columns.length > MAX_COLUMNS) throw new RangeError(`a sheet holds at most ${MAX_COLUMNS} columns`);
    this.columnCount = columns.length;
    this.cellStart = columns.map((_, i) => '<c r="' + columnLetters(i));
    this.numberTail = columns.map((c) => (c.kind === 'date' ? ' s="' + STYLE_DATE_TIME + '"><v>' : '><v>'));
    this.allReferences = opts.cellReferences === 'all';
  }

  /** Everything before the first data row: sheet view with the frozen header, widths, header row. */
  head(): string {
    const view =
      `<sheetViews><sheetView${this.opts.selected ? ' tabSelected="1"' : ''} workbookViewId="0">` +
      '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' +
      '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>';
    let cols = '';
    this.columns.forEach((c, i) => {
      const width = c.width ?? (c.kind === 'date' ? DATE_COLUMN_WIDTH : undefined);
      if (width === undefined) return;
      if (!(width > 0 && width <= 255)) throw new RangeError(`column ${c.header}: width must be in (0, 255]`);
      cols += `<col min="${i + 1}" max="${i + 1}" width="${width}" customWidth="1"/>`;
    });
    let header = '<row r="1">';
    this.columns.forEach((c, i) => {
      if (c.header === '') return;
      header += this.cellStart[i] + '1" s="' + STYLE_HEADER + '" t="inlineStr"><is>' + inlineText(String(c.header)) + '</is></c>';
    });
    header += '</row>';
    // Element order is fixed by the schema (sheetViews, sheetFormatPr, cols, sheetData); Excel enforces it.
    return (
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
      `<worksheet xmlns="${WORKSHEET_NS}" xmlns:r="${RELATIONSHIPS_NS}">` +
      view +
      '<sheetFormatPr defaultRowHeight="15"/>' +
      (cols ? '<cols>' + cols + '</cols>' : '') +
      '<sheetData>' +
      header
    );
  }

  /**
   * One data row. Strings are inline strings, never formulas whatever they start with; finite
   * numbers are numbers (styled as date-time in date columns); booleans are boolean cells; null,
   * undefined, '' and non-finite numbers leave the cell out.
   */
  row(values: readonly CellValue[], rowNumber: number): string {
    if (values.length > this.columnCount) throw new RangeError(`row ${rowNumber} has ${values.length} values for ${this.columnCount} columns`);
    const r = String(rowNumber);
    let xml = '<row r="' + r + '">';
    // The column a cell without a reference lands in: right after the last one written.
    let implied = this.allReferences ? -1 : 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v === 'number') {
        if (v - v !== 0) continue; // NaN and ±Infinity have no SpreadsheetML form
        xml += (i === implied ? '<c' : this.cellStart[i] + r + '"') + this.numberTail[i] + v + '</v></c>';
      } else if (typeof v === 'string') {
        if (v === '') continue;
        xml += (i === implied ? '<c' : this.cellStart[i] + r + '"') + ' t="inlineStr"><is>' + inlineText(v) + '</is></c>';
      } else if (typeof v === 'boolean') {
        xml += (i === implied ? '<c' : this.cellStart[i] + r + '"') + ' t="b"><v>' + (v ? '1' : '0') + '</v></c>';
      } else if (v !== null && v !== undefined) {
        throw new TypeError(`row ${rowNumber}, column ${i + 1}: unsupported cell value of type ${typeof v}`);
      } else {
        continue;
      }
      if (!this.allReferences) implied = i + 1;
    }
    return xml + '</row>';
  }

  /** The range the header's filter buttons cover, once the sheet holds `dataRows` rows; null without them. */
  filterRange(dataRows: number): string | null {
    return this.opts.autoFilter ? `A1:${columnLetters(this.columnCount - 1)}${dataRows + 1}` : null;
  }

  /** After the last row: closes the sheet data, then the header's filter (the schema places autoFilter right after sheetData). */
  tail(dataRows = 0): string {
    const range = this.filterRange(dataRows);
    return '</sheetData>' + (range ? `<autoFilter ref="${range}"/>` : '') + '</worksheet>';
  }
}
