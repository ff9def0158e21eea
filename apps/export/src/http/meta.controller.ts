import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { Config } from '@casestats/config';
import { CONFIG, DATA_SOURCE } from '../tokens';
import { openApiDocument } from './openapi';

@Controller()
export class MetaController {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(DATA_SOURCE) private readonly db: DataSource,
  ) {}

  @Get('health')
  async health(@Res() res: Response) {
    try {
      await this.db.query('SELECT 1');
      res.json({ status: 'ok' });
    } catch {
      res.status(503).json({ status: 'degraded', reason: 'database unreachable' });
    }
  }

  @Get('api/export-rules')
  rules() {
    const e = this.config.export;
    return { statsStartDate: e.statsStartDate, defaultTimezone: e.defaultTimezone, maxRows: e.maxRows, maxMonths: 6 };
  }

  @Get('api/openapi.json')
  openapi() {
    return openApiDocument;
  }
}
