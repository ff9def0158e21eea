import { describe, expect, it } from 'vitest';
import { SheetXml, columnLetters, inlineText } from './sheet-xml';

describe('columnLetters', () => {
  it('counts like Excel', () => {
    expect([0, 25, 26, 51, 52, 701, 702, 16383].map(columnLetters)).toEqual(['A', 'Z', 'AA', 'AZ', 'BA', 'ZZ', 'AAA', 'XFD']);
  });
});

describe('inlineText', () => {
  it('passes plain text through', () => {
    expect(inlineText('안녕하세요 abc')).toBe('<t>안녕하세요 abc</t>');
    expect(inlineText('=HYPERLINK("x")')).toBe('<t>=HYPERLINK("x")</t>');
  });

  it('escapes XML specials', () => {
    expect(inlineText('a<b>&c')).toBe('<t>a&lt;b&gt;&amp;c</t>');
  });

  it("turns characters XML 1.0 forbids into Excel's _xHHHH_ escapes", () => {
    expect(inlineText('a\u0000b\u0008c\u001fd\uffffe')).toBe('<t>a_x0000_b_x0008_c_x001F_d_xFFFF_e</t>');
  });

  it('keeps whitespace that XML would lose', () => {
    expect(inlineText(' x ')).toBe('<t xml:space="preserve"> x </t>');
    expect(inlineText('a\tb\nc')).toBe('<t xml:space="preserve">a\tb\nc</t>');
    expect(inlineText('a\r\nb')).toBe('<t xml:space="preserve">a&#13;\nb</t>');
  });

  it('escapes the underscore of text that looks like an Excel escape, and only that', () => {
    expect(inlineText('_x0041_ and _x12_ and user_xid')).toBe('<t>_x005F_x0041_ and _x12_ and user_xid</t>');
  });

  it('keeps surrogate pairs and replaces lone surrogates', () => {
    expect(inlineText('😀')).toBe('<t>😀</t>');
    expect(inlineText('a\ud800b\udc00')).toBe('<t>a\ufffdb\ufffd</t>');
  });

  it('cuts text at 32767 characters, marked with an ellipsis, without splitting a pair', () => {
    expect(inlineText('x'.repeat(40_000))).toBe('<t>' + 'x'.repeat(32_766) + '…</t>');
    expect(inlineText('x'.repeat(32_767))).toBe('<t>' + 'x'.repeat(32_767) + '</t>');
    const s = 'x'.repeat(32_765) + '😀' + 'y';
    expect(inlineText(s)).toBe('<t>' + 'x'.repeat(32_765) + '…</t>');
  });
});

describe('SheetXml', () => {
  const sheet = new SheetXml(
    [
      { header: 'when', kind: 'date' },
      { header: 'n', kind: 'number', width: 9 },
      { header: 'text', kind: 'string' },
    ],
    { selected: true },
  );

  it('writes sheetViews and cols before sheetData, a frozen header row in bold', () => {
    const head = sheet.head();
    expect(head.indexOf('<sheetViews>')).toBeLessThan(head.indexOf('<cols>'));
    expect(head.indexOf('<cols>')).toBeLessThan(head.indexOf('<sheetData>'));
    expect(head).toContain('tabSelected="1"');
    expect(head).toContain('<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>');
    expect(head).toContain('<col min="1" max="1" width="20" customWidth="1"/><col min="2" max="2" width="9" customWidth="1"/>');
    expect(head).toContain('<row r="1"><c r="A1" s="2" t="inlineStr"><is><t>when</t></is></c>');
  });

  it('writes numbers, date-time styled serials and inline strings, never formulas, and leaves out empty cells', () => {
    expect(sheet.row([45834.5, 3, '=1+1'], 2)).toBe(
      '<row r="2"><c s="1"><v>45834.5</v></c><c><v>3</v></c><c t="inlineStr"><is><t>=1+1</t></is></c></row>',
    );
    expect(sheet.row([null, undefined, ''], 3)).toBe('<row r="3"></row>');
    expect(sheet.row([NaN, Infinity, '-1'], 4)).toBe('<row r="4"><c r="C4" t="inlineStr"><is><t>-1</t></is></c></row>');
    expect(sheet.row([undefined, 1e21], 5)).toBe('<row r="5"><c r="B5"><v>1e+21</v></c></row>');
    expect(sheet.row([], 6)).toBe('<row r="6"></row>');
    expect(sheet.row(['text in a date column'], 7)).toContain('<c t="inlineStr">');
    expect(sheet.row([1, 2, 3], 8)).not.toContain('<f>');
  });

  it('names a cell only where it does not follow the cell before it, unless told to name every cell', () => {
    // A cell without a reference lands right after the previous one (ECMA-376 18.3.1.4).
    expect(sheet.row([1, null, 3], 9)).toBe('<row r="9"><c s="1"><v>1</v></c><c r="C9"><v>3</v></c></row>');
    expect(sheet.row([null, 2, 'x'], 10)).toBe('<row r="10"><c r="B10"><v>2</v></c><c t="inlineStr"><is><t>x</t></is></c></row>');
    const named = new SheetXml([{ header: 'a', kind: 'number' }, { header: 'b', kind: 'number' }], { cellReferences: 'all' });
    expect(named.row([1, 2], 2)).toBe('<row r="2"><c r="A2"><v>1</v></c><c r="B2"><v>2</v></c></row>');
  });

  it('refuses rows wider than the header and values of other types', () => {
    expect(() => sheet.row([1, 2, 3, 4], 2)).toThrow(/4 values for 3 columns/);
    expect(() => sheet.row([10n as unknown as number], 2)).toThrow(/unsupported cell value of type bigint/);
  });

  it('writes booleans as boolean cells', () => {
    expect(sheet.row([true, false], 5)).toBe('<row r="5"><c t="b"><v>1</v></c><c t="b"><v>0</v></c></row>');
  });

  it('closes the sheet with a filter over the header and every row when asked, and without one otherwise', () => {
    const filtered = new SheetXml([{ header: 'a', kind: 'string' }, { header: 'b', kind: 'number' }], { autoFilter: true });
    expect(filtered.tail(3)).toBe('</sheetData><autoFilter ref="A1:B4"/></worksheet>');
    expect(filtered.tail(0)).toBe('</sheetData><autoFilter ref="A1:B1"/></worksheet>');
    expect(sheet.tail()).toBe('</sheetData></worksheet>');
  });
});
