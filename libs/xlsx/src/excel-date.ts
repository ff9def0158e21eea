const DAY_MS = 86_400_000;
/** 1970-01-01 as a serial day of Excel's 1900 date system (valid for dates from 1900-03-01 on). */
const UNIX_EPOCH_SERIAL = 25_569;

/**
 * The Excel serial day of an instant shown at a fixed UTC offset (local = UTC + offsetMinutes).
 * Excel stores wall-clock time without a zone, so the offset in force at that instant is applied
 * here; a zone-aware caller passes the offset of that instant.
 */
export function toExcelSerial(epochMs: number, offsetMinutes: number): number {
  return (epochMs + offsetMinutes * 60_000) / DAY_MS + UNIX_EPOCH_SERIAL;
}

/** The inverse: the instant whose wall-clock time at the given offset is that serial day. */
export function fromExcelSerial(serial: number, offsetMinutes: number): number {
  return Math.round((serial - UNIX_EPOCH_SERIAL) * DAY_MS) - offsetMinutes * 60_000;
}
