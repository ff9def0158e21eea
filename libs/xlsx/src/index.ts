export { createEncryptedWorkbook } from './encrypted-workbook';
export type { EncryptedWorkbookOptions, EncryptedWorkbookWriter, SheetOptions, SheetWriter, WorkbookResult } from './encrypted-workbook';
export type { CellValue, ColumnKind, ColumnSpec } from './sheet-xml';
export { MAX_CELL_CHARS, MAX_COLUMNS, MAX_ROWS, SheetXml, TRUNCATED_MARK } from './sheet-xml';
export { toExcelSerial, fromExcelSerial } from './excel-date';
