import type { ExecutionContext } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { AppError, loadConfig } from '@casestats/config';
import type { AuditLog } from '@casestats/export-jobs';
import { MemberGuard, memberRateLimit } from '../auth/member.guard';
import { VIEW_PERMISSION, signMemberToken } from '../auth/member-token';
import { ExportJobsService } from './export-jobs.service';
import type { ExportWorker } from './export-worker';

const SECRET = 'refusal-audit-secret-0123456789';
const config = loadConfig({ DATABASE_URL: 'postgres://unused', EXPORT_JWT_SECRET: SECRET });
/** An audit log whose every write fails, as the database would refuse a line it cannot store. */
const failingAudit = { refused: async () => Promise.reject(new Error('audit table unreachable')) } as unknown as AuditLog;

function recorder() {
  const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  return { lines, log: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void lines.push({ level, msg, fields }) };
}

// The client must get its own refusal (a 400, a 403), never the audit's failure in its place.
describe('a refusal whose audit line cannot be written', () => {
  it('ExportJobsService.request throws the refusal and logs the failed audit', async () => {
    const { lines, log } = recorder();
    const jobs = new ExportJobsService({} as DataSource, config, failingAudit, {} as ExportWorker, log);
    const refused = await jobs.request({ id: 'm-1', name: 'm-1' } as never, 'ch-1', { from: 'not a date' }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe('EXPORT.INVALID_REQUEST');
    expect(lines).toEqual([expect.objectContaining({ level: 'error', msg: 'export refusal not audited', fields: expect.objectContaining({ code: 'EXPORT.INVALID_REQUEST', auditError: 'audit table unreachable' }) })]);
  });

  it("the member guard throws the member's 403 and logs the failed audit", async () => {
    const { lines, log } = recorder();
    const guard = new MemberGuard(config, failingAudit, log, memberRateLimit(config));
    const token = await signMemberToken({ memberId: 'm-1', name: 'm-1', channelId: 'ch-1', permissions: [VIEW_PERMISSION], expiresIn: '1h' }, SECRET, Math.floor(Date.now() / 1000));
    const req = { method: 'POST', params: { channelId: 'ch-1' }, headers: { authorization: `Bearer ${token}` }, body: {}, path: '/api/channels/ch-1/case-exports', socket: {} };
    const context = { switchToHttp: () => ({ getRequest: () => req }) } as unknown as ExecutionContext;
    const refused = await guard.canActivate(context).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe('AUTH.FORBIDDEN');
    expect(lines).toEqual([expect.objectContaining({ level: 'error', msg: 'export refusal not audited' })]);
  });
});
