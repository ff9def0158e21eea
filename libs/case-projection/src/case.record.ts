import type { ProfileValue } from '@casestats/events';
import { STORED_CASE_FIELDS, type CaseChat, type StoredCaseFieldDef } from './case.fields';
import type { CaseState } from './case.state';

type ValueOf<F> = F extends { kind: 'enum'; values: readonly (infer V)[] }
  ? V
  : F extends { kind: 'text' }
    ? string
    : F extends { kind: 'profile' }
      ? Record<string, ProfileValue>
      : number;

/**
 * A case as the export shows it, typed from the field table (case.fields.ts): cases.md's fields
 * without the URL (built from a configured template when exported) and with the chat profile
 * whole. Times are epoch ms, durations whole seconds.
 */
export type CaseRecord = { [F in StoredCaseFieldDef as F['key']]: ValueOf<F> | (F extends { nullable: true } ? null : never) };

// Compile-time check that each field's reader returns what the record declares for it.
type Misread = { [F in StoredCaseFieldDef as ReturnType<F['read']> extends CaseRecord[F['key']] ? never : F['key']]: ReturnType<F['read']> };
const everyReaderFits: keyof Misread extends never ? true : keyof Misread = true;
void everyReaderFits;

export function toCaseRecord(chat: CaseChat, c: CaseState): CaseRecord {
  const out: Record<string, unknown> = {};
  for (const f of STORED_CASE_FIELDS) out[f.key] = f.read(c, chat);
  return out as CaseRecord;
}
