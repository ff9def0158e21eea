import { Controller, Get, Header, Inject, Param, Query, UseGuards } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppError, Config } from '@casestats/config';
import { caseUrlBuilder } from '@casestats/export';
import { caseFeedPageBody, parseFeedLimit, readCaseFeedJson } from '@casestats/read-model';
import { MemberGuard } from '../auth/member.guard';
import { CONFIG, DATA_SOURCE } from '../tokens';

/**
 * The case change feed for BI loaders (feed.md): the channel's case records in the order they last
 * changed, with a cursor to resume from; caseStats:download for the channel, as the export. What
 * the cursor guarantees: libs/read-model case-changes.repository.ts and case-feed.ts.
 */
@Controller('api/channels/:channelId')
@UseGuards(MemberGuard)
export class CaseChangesController {
  private readonly caseUrl: (channelId: string, userChatId: string) => string;

  constructor(
    @Inject(DATA_SOURCE) private readonly db: DataSource,
    @Inject(CONFIG) config: Config,
  ) {
    this.caseUrl = caseUrlBuilder(config.export.caseUrlTemplate);
  }

  /** The body is written as text: the items come as JSON text (readCaseFeedJson), not objects to serialise again. */
  @Get('case-changes')
  @Header('Content-Type', 'application/json; charset=utf-8')
  async changes(@Param('channelId') channelId: string, @Query('cursor') cursor: unknown, @Query('limit') limit: unknown) {
    if (cursor !== undefined && typeof cursor !== 'string') throw new AppError('INPUT.INVALID', 'cursor: give it once', [{ field: 'cursor', message: 'give it once' }]);
    return caseFeedPageBody(await readCaseFeedJson(this.db, { channelId, ...(cursor ? { cursor } : {}), limit: parseFeedLimit(limit), caseUrl: this.caseUrl }));
  }
}
