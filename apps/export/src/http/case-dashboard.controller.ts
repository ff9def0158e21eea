import { Controller, Get, Inject, Param, Query, UseGuards } from '@nestjs/common';
import type { CaseDashboard } from '@casestats/export';
import { ViewerGuard } from '../auth/member.guard';
import { DASHBOARD } from '../tokens';

/**
 * The case statistics dashboard's API (dashboard.md): caseStats:view or caseStats:download for the
 * channel. The work and every rule: libs/export case-dashboard.ts.
 */
@Controller('api/channels/:channelId')
@UseGuards(ViewerGuard)
export class CaseDashboardController {
  constructor(@Inject(DASHBOARD) private readonly dashboard: CaseDashboard) {}

  @Get('case-stats')
  stats(@Param('channelId') channelId: string, @Query() query: Record<string, unknown>) {
    return this.dashboard.stats(channelId, query);
  }

  @Get('case-filters')
  filters(@Param('channelId') channelId: string, @Query() query: Record<string, unknown>) {
    return this.dashboard.filters(channelId, query);
  }

  @Get('cases')
  cases(@Param('channelId') channelId: string, @Query() query: Record<string, unknown>) {
    return this.dashboard.cases(channelId, query);
  }
}
