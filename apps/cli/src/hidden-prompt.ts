import type { ReadStream } from 'node:tty';
import { AppError } from '@casestats/config';

/**
 * Reads one line from a terminal in raw mode, echoing nothing: a password typed here is in no
 * argv (`ps`), shell history or environment. Ctrl-C or Ctrl-D on an empty line gives up.
 */
export function promptHidden(input: ReadStream, output: NodeJS.WritableStream, question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (result: () => void) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
      result();
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish(() => resolve(value));
        if (ch === '\u0003' || (ch === '\u0004' && !value)) return finish(() => reject(new AppError('INPUT.INVALID', 'no password was given')));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    input.setEncoding('utf8');
    input.setRawMode(true);
    input.resume();
    input.on('data', onData);
    // Asked only once the echo is off: a password typed (or pasted) as the prompt shows was echoed.
    output.write(question);
  });
}
