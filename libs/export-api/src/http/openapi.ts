/** The OpenAPI description of the export API, served at /api/openapi.json. */
const error = { $ref: '#/components/schemas/Error' };
const job = { $ref: '#/components/schemas/ExportJob' };
const channel = { name: 'channelId', in: 'path', required: true, schema: { type: 'string' } };
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const errors = {
  '401': { description: 'no valid bearer token', content: { 'application/json': { schema: error } } },
  '403': { description: 'no caseStats:download permission, or another channel', content: { 'application/json': { schema: error } } },
};
const list = (name: string) => ({ type: 'array', items: { type: 'string' }, description: `${name}; empty or absent: no filter` });

export const openApiDocument = {
  openapi: '3.0.3',
  info: {
    title: 'casestats export API',
    version: '1.0.0',
    description: 'Password-protected XLSX exports of case records (export.md). Bearer JWT (HS256) with sub, name, channelId, permissions, exp.',
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    schemas: {
      Error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: { type: 'string', example: 'EXPORT.RANGE_TOO_LONG' },
          message: { type: 'string' },
          problems: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } } } },
          count: { type: 'integer', description: 'with EXPORT.TOO_MANY_ROWS: the number of matching cases' },
        },
      },
      ExportRequest: {
        type: 'object',
        required: ['from', 'to', 'password', 'reason'],
        properties: {
          from: { type: 'string', format: 'date', description: 'inclusive, in timezone; not before 2025-06-26' },
          to: { type: 'string', format: 'date', description: 'inclusive; at most six months after from (month-end clamp)' },
          timezone: { type: 'string', default: 'Asia/Seoul', description: 'IANA name' },
          password: { type: 'string', pattern: '^[A-Za-z0-9]{4,64}$', writeOnly: true },
          reason: { type: 'string', minLength: 1, maxLength: 500 },
          filters: {
            type: 'object',
            properties: {
              teamIds: list('team ids'),
              assigneeIds: list('assignee ids'),
              tags: list('a case matches if it has any of them'),
              mediumNames: list('medium names'),
              directions: { type: 'array', items: { type: 'string', enum: ['INBOUND', 'OUTBOUND'] } },
              caseStates: { type: 'array', items: { type: 'string', enum: ['inProgress', 'completed'] } },
              userChatStates: { type: 'array', items: { type: 'string', enum: ['queued', 'open', 'snoozed', 'missed', 'closed'] } },
            },
          },
        },
      },
      ExportJob: {
        type: 'object',
        properties: {
          id: { type: 'string', format: 'uuid' },
          status: { type: 'string', enum: ['queued', 'running', 'succeeded', 'failed', 'expired'] },
          rowsWritten: { type: 'integer' },
          totalRows: { type: 'integer' },
          error: { type: 'string' },
          fileName: { type: 'string' },
          from: { type: 'string' },
          to: { type: 'string' },
          timezone: { type: 'string' },
          filters: { type: 'object' },
          reason: { type: 'string' },
          requestedBy: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string', nullable: true } } },
          createdAt: { type: 'string', format: 'date-time' },
          startedAt: { type: 'string', format: 'date-time', nullable: true },
          finishedAt: { type: 'string', format: 'date-time', nullable: true },
          expiresAt: { type: 'string', format: 'date-time', nullable: true },
          bytes: { type: 'integer', nullable: true },
          sha256: { type: 'string', nullable: true },
          downloadUrl: { type: 'string', nullable: true },
        },
      },
    },
  },
  security: [{ bearer: [] }],
  paths: {
    '/api/channels/{channelId}/case-exports': {
      parameters: [channel],
      post: {
        summary: 'Request an export: validated and counted at once, then run in the background',
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/ExportRequest' } } } },
        responses: {
          '202': { description: 'accepted', content: { 'application/json': { schema: { type: 'object', properties: { id: { type: 'string' }, status: { type: 'string' }, totalRows: { type: 'integer' } } } } } },
          '400': { description: 'a rule was broken (each problem names its field; a key the request does not have is one), or more cases match than the cap (EXPORT_MAX_ROWS, 1,000,000 unless set)', content: { 'application/json': { schema: error } } },
          '413': { description: 'the body is over 100 kB (INPUT.TOO_LARGE)', content: { 'application/json': { schema: error } } },
          ...errors,
        },
      },
      get: {
        summary: "The channel's recent exports, newest first",
        responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object', properties: { exports: { type: 'array', items: job } } } } } }, ...errors },
      },
    },
    '/api/channels/{channelId}/case-exports/{id}': {
      parameters: [channel, id],
      get: { summary: 'Job status and progress', responses: { '200': { description: 'ok', content: { 'application/json': { schema: job } } }, '404': { description: 'no such export in this channel' }, ...errors } },
    },
    '/api/channels/{channelId}/case-exports/{id}/file': {
      parameters: [channel, id],
      get: {
        summary: 'The encrypted XLSX, once succeeded (kept EXPORT_FILE_TTL_SECONDS, 24 hours unless set)',
        responses: {
          '200': { description: 'the file', content: { 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { schema: { type: 'string', format: 'binary' } } } },
          '404': { description: 'no such export in this channel' },
          '409': { description: 'not ready (queued, running or failed)' },
          '410': { description: 'expired, or its file is gone (EXPORT.EXPIRED)' },
          ...errors,
        },
      },
    },
    '/api/channels/{channelId}/export-audit': {
      parameters: [channel],
      get: { summary: "The channel's export audit log, newest first", responses: { '200': { description: 'ok' }, ...errors } },
    },
    '/api/export-rules': { get: { summary: 'The rules the form shows: first day, default time zone, row cap', security: [], responses: { '200': { description: 'ok' } } } },
    '/health': { get: { summary: 'Liveness and database reachability', security: [], responses: { '200': { description: 'ok' }, '503': { description: 'database unreachable' } } } },
  },
};
