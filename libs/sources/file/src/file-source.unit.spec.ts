import { describe, expect, it } from 'vitest';
import { chatIdOf, laneOf } from './file-source';

const b = (s: string) => Buffer.from(s);

describe('the file source shares lines among lanes by the top-level userChatId, as JSON.parse reads it', () => {
  it.each([
    ['the envelope key', '{"id":"e-1","userChatId":"uc-1","data":{}}', 'uc-1'],
    ['after nested values and texts that mention it', '{"data":{"userChatId":"x","a":[{"userChatId":"y"}]},"note":"\\"userChatId\\":\\"z\\"","userChatId":"uc-2"}', 'uc-2'],
    ['with spaces around', '  { "userChatId" : "uc-3" , "x" : 1 }', 'uc-3'],
    ['escaped', '{"userChatId":"uc\\u002d4"}', 'uc-4'],
    ['twice: the last', '{"userChatId":"a","userChatId":"b"}', 'b'],
    ['only nested', '{"data":{"userChatId":"x"}}', null],
    ['not a string', '{"userChatId":5}', null],
    ['not an object', '["userChatId","x"]', null],
    ['cut short', '{"userChatId":"uc-5', null],
    ['NUL', '\u0000', null],
  ])('%s', (_name, line, id) => {
    expect(chatIdOf(b(line))).toBe(id);
    if (id) expect(JSON.parse(line).userChatId).toBe(id);
  });

  it('gives every line of a chat the same lane, and spreads chats over all lanes', () => {
    const lanes = new Set<number>();
    for (let i = 0; i < 100; i++) {
      const lane = laneOf(b(`{"userChatId":"uc-${i}","id":"a"}`), 3);
      expect(laneOf(b(`{"id":"b","data":{"x":[1,{"y":"}"}]},"userChatId":"uc-${i}"}`), 3)).toBe(lane);
      lanes.add(lane);
    }
    expect([...lanes].sort()).toEqual([0, 1, 2]);
  });
});
