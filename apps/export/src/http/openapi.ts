import { CASE_STATES, DIRECTIONS, MEDIUM_NAMES, USER_CHAT_STATES } from '@casestats/case-projection';
import { dashboardPaths, dashboardSchemas } from './openapi.dashboard';

/** The OpenAPI description of the export API, served at /api/openapi.json. */
const error = { $ref: '#/components/schemas/Error' };
const job = { $ref: '#/components/schemas/ExportJob' };
const channel = { name: 'channelId', in: 'path', required: true, schema: { type: 'string' } };
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const coded = (description: string) => ({ description, content: { 'application/json': { schema: error } } });
const errors = {
  '401': coded('no valid bearer token: it needs sub, exp and iat, not issued in the future, living 30 days at most (AUTH.UNAUTHENTICATED)'),
  '403': coded('no caseStats:download permission, or another channel (AUTH.FORBIDDEN)'),
  '429': coded('too many requests from this client address a minute (EXPORT_RATE_LIMIT_PER_ADDRESS), with Retry-After (INPUT.RATE_LIMITED)'),
  '503': coded('the database is unavailable: try again shortly (DATABASE.UNAVAILABLE)'),
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
      ...dashboardSchemas,
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
          from: { type: 'string', format: 'date', description: 'inclusive, in timezone; not before 2025-06-26, not after 9999-12-31' },
          to: { type: 'string', format: 'date', description: 'inclusive; at most six months after from (month-end clamp), not after 9999-12-31' },
          timezone: { type: 'string', default: 'Asia/Seoul', maxLength: 100, description: 'IANA name' },
          password: { type: 'string', pattern: '^[A-Za-z0-9]{4,64}$', writeOnly: true },
          reason: {
            type: 'string',
            minLength: 1,
            maxLength: 500,
            description: '1 to 500 characters (code points) after trimming; not only invisible characters; no control characters but line breaks and tabs',
          },
          filters: {
            type: 'object',
            properties: {
              teamIds: list('team ids'),
              assigneeIds: list('assignee ids'),
              tags: list('a case matches if it has any of them'),
              mediumNames: { type: 'array', items: { type: 'string', enum: [...MEDIUM_NAMES] }, description: 'medium names; empty or absent: no filter' },
              directions: { type: 'array', items: { type: 'string', enum: [...DIRECTIONS] } },
              caseStates: { type: 'array', items: { type: 'string', enum: [...CASE_STATES] } },
              userChatStates: { type: 'array', items: { type: 'string', enum: [...USER_CHAT_STATES] } },
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
    ...dashboardPaths,
    '/api/channels/{channelId}/case-exports': {
      parameters: [channel],
      post: {
        summary: 'Request an export: validated and counted at once, then run in the background',
        description:
          'The body is JSON, plain, gzip or deflate. A key the request does not have is refused, __proto__, constructor and prototype included, and so is nesting deeper than the request has. A member may make EXPORT_RATE_LIMIT_PER_MEMBER requests a minute.',
        parameters: [
          {
            name: 'Accept-Language',
            in: 'header',
            required: false,
            schema: { type: 'string', default: 'ko', example: 'en-US,en;q=0.9' },
            description:
              "the language of the file's own words (the Export info sheet, the field guide sheet and its name): ko or en, negotiated as HTTP does (en-US,en;q=0.9 is English); absent or neither: Korean. The data and its keys are the same in both. The page sends its own language.",
          },
        ],
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/ExportRequest' } } } },
        responses: {
          '202': { description: 'accepted', content: { 'application/json': { schema: { type: 'object', properties: { id: { type: 'string' }, status: { type: 'string' }, totalRows: { type: 'integer' } } } } } },
          '400': { description: 'a rule was broken (each problem names its field; a key the request does not have is one), a channel id with control characters (INPUT.INVALID), or more cases match than the cap (EXPORT_MAX_ROWS, 1,000,000 unless set)', content: { 'application/json': { schema: error } } },
          '413': coded('the body is over 100 kB (INPUT.TOO_LARGE)'),
          '415': coded('a body that is not JSON (form-encoded included), or a Content-Encoding other than gzip or deflate (INPUT.UNSUPPORTED_MEDIA_TYPE)'),
          ...errors,
          '429': coded(
            'too many requests: from this address or by this member a minute (INPUT.RATE_LIMITED, with Retry-After), or the member (EXPORT_MAX_JOBS_PER_MEMBER) or the channel (EXPORT_MAX_JOBS_PER_CHANNEL) has as many exports queued or running as it may (EXPORT.TOO_MANY_JOBS)',
          ),
          '507': coded('the kept files fill the disk set aside for them, EXPORT_MAX_DISK_MB (EXPORT.STORAGE_FULL)'),
        },
      },
      get: {
        summary: "The member's own recent exports in the channel, newest first (another member's are not listed)",
        responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object', properties: { exports: { type: 'array', items: job } } } } } }, ...errors },
      },
    },
    '/api/channels/{channelId}/case-exports/{id}': {
      parameters: [channel, id],
      get: { summary: 'Job status and progress', responses: { '200': { description: 'ok', content: { 'application/json': { schema: job } } }, '404': coded("no such export of this member's in this channel (EXPORT.NOT_FOUND)"), ...errors } },
    },
    '/api/channels/{channelId}/case-exports/{id}/file': {
      parameters: [channel, id],
      get: {
        summary: 'The encrypted XLSX, once succeeded (kept EXPORT_FILE_TTL_SECONDS, 24 hours unless set)',
        responses: {
          '200': { description: 'the file', content: { 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { schema: { type: 'string', format: 'binary' } } } },
          '404': coded("no such export of this member's in this channel (EXPORT.NOT_FOUND)"),
          '409': { description: 'not ready (queued, running or failed)' },
          '410': { description: 'expired, or its file is gone (EXPORT.EXPIRED)' },
          ...errors,
        },
      },
    },
    '/api/channels/{channelId}/case-changes': {
      parameters: [channel],
      get: {
        summary: "The channel's case records in the order they last changed, from a cursor (the change feed for BI loaders)",
        description:
          'Follow nextCursor until hasMore is false; resume later from the last nextCursor. No change is ever skipped, even while the projector writes: ' +
          'the cursor only moves past changes no transaction still in flight can precede. A case that changes again comes again, later; a completed case ' +
          'comes one last time and never again. Cursors do not expire. After a rebuild switched the projection, a cursor of the old one reads the new one ' +
          'from its beginning, with restarted: true and restartReason.',
        parameters: [
          { name: 'cursor', in: 'query', required: false, schema: { type: 'string' }, description: 'the nextCursor of a previous page; absent: from the beginning' },
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 500 } },
        ],
        responses: {
          '200': {
            description: 'a page',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['items', 'nextCursor', 'hasMore'],
                  properties: {
                    items: {
                      type: 'array',
                      items: {
                        type: 'object',
                        description:
                          'a case record as it is now: channelId and the field keys of cases.md in order (timestamps ISO-8601 UTC, durations in seconds and counts as numbers, ' +
                          'tags, managerIds and managerNames joined with ", "), then profile.{key} for each custom profile key of the case; null for an empty value',
                        additionalProperties: { nullable: true, oneOf: [{ type: 'string' }, { type: 'number' }] },
                      },
                    },
                    nextCursor: { type: 'string', description: 'opaque; where to read on from' },
                    hasMore: { type: 'boolean', description: 'false once every change committed so far has been given' },
                    restarted: { type: 'boolean', description: 'present (true) when the cursor was of a projection a rebuild replaced: reading started again from the beginning' },
                    restartReason: { type: 'string' },
                  },
                },
              },
            },
          },
          '400': { description: 'limit outside 1–1000, or a cursor that is malformed or of another channel (INPUT.INVALID, problems[0].field says which)', content: { 'application/json': { schema: error } } },
          ...errors,
        },
      },
    },
    '/api/channels/{channelId}/export-audit': {
      parameters: [channel],
      get: {
        summary: "The channel's export audit log, newest first: every member's requests, refused ones included. Needs the caseStats:audit permission",
        responses: { '200': { description: 'ok' }, ...errors, '403': coded('no caseStats:audit permission, or another channel (AUTH.FORBIDDEN)') },
      },
    },
    '/api/export-rules': { get: { summary: 'The rules the form shows: first day, default time zone, row cap', security: [], responses: { '200': { description: 'ok' } } } },
    '/health': { get: { summary: 'Liveness and database reachability', security: [], responses: { '200': { description: 'ok' }, '503': { description: 'database unreachable' } } } },
  },
};
