import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CASE_STATES, DIRECTIONS, MEDIUM_NAMES, SHEET_CASE_FIELDS, USER_CHAT_STATES } from '@casestats/case-projection';
import { REPO_ROOT } from '@casestats/testing';

// The docs describe what the code does; where they list what the field table declares, they are
// held to it, so that a field added, moved or renamed in the code cannot leave the docs behind.

const read = (file: string) => readFileSync(join(REPO_ROOT, file), 'utf8');

function section(text: string, heading: string): string {
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no section ${heading}`);
  const rest = text.slice(start + heading.length + 2);
  const end = rest.search(/\n#{1,2} /);
  return end < 0 ? rest : rest.slice(0, end);
}

describe('docs/cases.md', () => {
  it('lists the Case data columns in the order and with the numbers of the field table', () => {
    const rows = [...section(read('docs/cases.md'), '## Fields, in export order').matchAll(/^\| (\d+) \| `([^`]+)` \|/gm)];
    expect(rows.map(([, no, key]) => [Number(no), key])).toEqual(SHEET_CASE_FIELDS.map((f) => [f.no, f.key]));
  });
});

describe('docs/export.md', () => {
  it("offers each filter's values as the code takes them", () => {
    const filters = section(read('docs/export.md'), '### Filters');
    const valuesOf = (name: string) => {
      const row = new RegExp(`^\\| \`${name}\` \\|.*\\| ([^|]*) \\|$`, 'm').exec(filters);
      if (!row) throw new Error(`no row for ${name}`);
      return [...row[1].matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    };
    expect(valuesOf('mediumNames')).toEqual([...MEDIUM_NAMES]);
    expect(valuesOf('directions')).toEqual([...DIRECTIONS]);
    expect(valuesOf('caseStates')).toEqual([...CASE_STATES]);
    expect(valuesOf('userChatStates')).toEqual([...USER_CHAT_STATES]);
  });
});

describe('docs/guide.ko.md', () => {
  it('names every duration column (seconds) in the tip for showing them as time', () => {
    const tip = section(read('docs/guide.ko.md'), '## 8. 초 단위 시간을 시:분:초로 보기');
    const named = [...tip.matchAll(/^- `([^`]+)`/gm)].map((m) => m[1]);
    expect(named).toEqual(SHEET_CASE_FIELDS.filter((f) => f.kind === 'duration').map((f) => f.key));
    expect(tip).toContain('=TEXT(A2/86400,"[hh]:mm:ss")');
  });
});
