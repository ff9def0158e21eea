import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { Config } from '@casestats/config';
import { caseUrlBuilder } from '@casestats/export';
import { FEED_MAX_LIMIT, parseFeedLimit, readCaseFeedJson } from '@casestats/read-model';
import { CliIo, assertWritableFolder, withDatabase } from '../cli-context';

export interface FeedOptions {
  channel: string;
  out: string;
  cursor?: string;
  limit?: number | string;
}

/**
 * `casestats feed`: the channel's case changes after --cursor (none: from the beginning), page
 * after page until none is left, as NDJSON in --out; prints the cursor to resume from on stdout
 * (alone, for a script to keep) and the count on stderr. The file appears only complete, under its
 * name once every page is in it: a failed or interrupted run leaves no file and no new cursor, so
 * running it again from the same cursor loses nothing.
 */
export async function feedCommand(opts: FeedOptions, config: Config, io: CliIo): Promise<number> {
  const limit = parseFeedLimit(opts.limit === undefined ? FEED_MAX_LIMIT : String(opts.limit));
  const out = resolve(opts.out);
  assertWritableFolder(out);
  const partial = `${out}.partial`;
  const caseUrl = caseUrlBuilder(config.export.caseUrlTemplate);
  return withDatabase(config, io, async ({ dataSource }) => {
    const fd = openSync(partial, 'w');
    let closed = false;
    try {
      let cursor = opts.cursor || undefined;
      let written = 0;
      for (;;) {
        const page = await readCaseFeedJson(dataSource, { channelId: opts.channel, ...(cursor && { cursor }), limit, caseUrl });
        if (page.restarted) io.err(`casestats feed: ${page.restartReason}`);
        if (page.itemsJson.length) writeSync(fd, page.itemsJson.join('\n') + '\n');
        written += page.itemsJson.length;
        cursor = page.nextCursor;
        if (!page.hasMore) break;
      }
      fsyncSync(fd);
      closeSync(fd);
      closed = true;
      renameSync(partial, out);
      io.err(`wrote ${written} case record(s) to ${out}; resume with --cursor ${cursor}`);
      io.out(cursor);
      return 0;
    } catch (err) {
      if (!closed) closeSync(fd);
      rmSync(partial, { force: true });
      throw err;
    }
  });
}
