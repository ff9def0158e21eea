import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import { pipeline } from 'node:stream';
import type { Response } from 'express';
import { AuditorGuard, MemberGuard, MemberRequest } from '../auth/member.guard';
import { AuditLog } from '@casestats/export-jobs';
import { DEFAULT_EXPORT_LANGUAGE, type ExportLanguage } from '@casestats/export';
import { ExportJobsService, jobView } from '../jobs/export-jobs.service';
import { AUDIT, JOBS } from '../tokens';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/** Express's own negotiation (the `negotiator` package): `en-US,en;q=0.9` is English, none or `fr` Korean. */
export function fileLanguage(req: Pick<MemberRequest, 'acceptsLanguages'>): ExportLanguage {
  return (req.acceptsLanguages('ko', 'en') || DEFAULT_EXPORT_LANGUAGE) as ExportLanguage;
}

@Controller('api/channels/:channelId')
@UseGuards(MemberGuard)
export class CaseExportsController {
  constructor(@Inject(JOBS) private readonly jobs: ExportJobsService) {}

  /**
   * The file's own words (Export info, the field guide) are in the requester's language, as the
   * Accept-Language header asks (the page sends its own); Korean when it asks for neither.
   */
  @Post('case-exports')
  @HttpCode(202)
  create(@Param('channelId') channelId: string, @Body() body: unknown, @Req() req: MemberRequest) {
    return this.jobs.request(req.member, channelId, body, fileLanguage(req));
  }

  /** An export is one person's download of customer data: each member sees only their own. */
  @Get('case-exports')
  async list(@Param('channelId') channelId: string, @Req() req: MemberRequest) {
    return { exports: await this.jobs.list(channelId, req.member.id) };
  }

  @Get('case-exports/:id')
  async get(@Param('channelId') channelId: string, @Param('id') id: string, @Req() req: MemberRequest) {
    return jobView(await this.jobs.get(channelId, req.member.id, id), channelId);
  }

  @Get('case-exports/:id/file')
  async file(@Param('channelId') channelId: string, @Param('id') id: string, @Req() req: MemberRequest, @Res() res: Response) {
    const file = await this.jobs.file(channelId, req.member.id, id);
    res.setHeader('Content-Type', XLSX);
    res.setHeader('Content-Disposition', contentDisposition(file.fileName));
    res.setHeader('Content-Length', String(file.bytes));
    res.setHeader('Cache-Control', 'no-store');
    // The stream closes the handle. A read failing now, after the headers, can only cut the
    // connection; a client leaving early is no error of ours.
    pipeline(file.handle.createReadStream(), res, () => undefined);
  }
}

@Controller('api/channels/:channelId')
@UseGuards(AuditorGuard)
export class ExportAuditController {
  constructor(@Inject(AUDIT) private readonly audit: AuditLog) {}

  @Get('export-audit')
  async auditLog(@Param('channelId') channelId: string) {
    return { entries: await this.audit.list(channelId) };
  }
}
