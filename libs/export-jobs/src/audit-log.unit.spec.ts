import { describe, expect, it } from 'vitest';
import { storable } from './audit-log.repository';

/** What PostgreSQL's text and jsonb take: no NUL, no lone surrogate. */
const storableInPostgres = (text: string) => !text.includes('\u0000') && !/\p{Cs}/u.test(text);

describe('storable: what a request said, as the audit can keep it', () => {
  it('replaces NUL and lone surrogates, keeping pairs', () => {
    expect(storable('a\u0000b\ud800c\udc00d\ud83d\ude00', 100)).toBe('a\ufffdb\ufffdc\ufffdd\ud83d\ude00');
  });

  it('cuts by code points, never inside a surrogate pair', () => {
    const emoji = '\ud83d\ude00';
    // 199 letters and an emoji: cut at 200 UTF-16 units, the emoji's high half alone was kept.
    const text = `${'a'.repeat(199)}${emoji}${emoji}`;
    expect(storable(text, 200)).toBe(`${'a'.repeat(199)}${emoji}`);
    expect(storable(emoji.repeat(300), 200)).toBe(emoji.repeat(200));
    for (const max of [1, 2, 3, 199, 200, 201]) expect(storableInPostgres(storable(`a${emoji.repeat(150)}`, max)), `max ${max}`).toBe(true);
  });
});
