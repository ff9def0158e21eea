/** Test helper: xlsx-populate ships no types; this is the little of its API the tests use. */

export interface PopulateCell {
  value(): unknown;
}

export interface PopulateSheet {
  name(): string;
  cell(row: number, column: number): PopulateCell;
}

export interface PopulateWorkbook {
  sheets(): PopulateSheet[];
  sheet(name: string): PopulateSheet | undefined;
}

interface XlsxPopulateApi {
  fromDataAsync(data: Buffer, opts?: { password?: string }): Promise<PopulateWorkbook>;
}

export async function openWithXlsxPopulate(data: Buffer, password: string): Promise<PopulateWorkbook> {
  // A computed specifier keeps the untyped package out of the type checker's module resolution.
  const specifier = 'xlsx-populate' as string;
  const mod = (await import(specifier)) as XlsxPopulateApi & { default?: XlsxPopulateApi };
  return (mod.default ?? mod).fromDataAsync(data, { password });
}
