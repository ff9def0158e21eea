import { CASE_FIELDS, CASE_STATES, DIRECTIONS, MEDIUM_NAMES, USER_CHAT_STATES } from '@casestats/case-projection';
import { DURATION_METRICS, INTERVALS } from '@casestats/case-stats';

/** The dashboard's API in the OpenAPI description (dashboard.md); enums from the field table. */
const error = { $ref: '#/components/schemas/Error' };
const coded = (description: string) => ({ description, content: { 'application/json': { schema: error } } });
const channel = { name: 'channelId', in: 'path', required: true, schema: { type: 'string' } };
const repeated = (name: string, description: string, values?: readonly string[]) => ({
  name,
  in: 'query',
  required: false,
  style: 'form',
  explode: true,
  description: `${description}; repeat it for several (?${name}=a&${name}=b); absent: no filter`,
  schema: { type: 'array', items: values ? { type: 'string', enum: [...values] } : { type: 'string' } },
});
const range = [
  { name: 'from', in: 'query', required: true, schema: { type: 'string', format: 'date' }, description: 'first day, in timezone; not before 2025-06-26' },
  { name: 'to', in: 'query', required: true, schema: { type: 'string', format: 'date' }, description: 'last day, inclusive; at most six months after from (month-end clamp)' },
  { name: 'timezone', in: 'query', required: false, schema: { type: 'string', default: 'Asia/Seoul' }, description: 'IANA name' },
];
const filters = [
  repeated('teamIds', 'team ids'),
  repeated('assigneeIds', 'assignee ids'),
  repeated('tags', 'a case matches if it has any of them'),
  repeated('mediumNames', 'medium names', MEDIUM_NAMES),
  repeated('directions', 'directions', DIRECTIONS),
  repeated('caseStates', 'userChatCaseState values', CASE_STATES),
  repeated('userChatStates', 'userChatState values', USER_CHAT_STATES),
];
const errors = {
  '400': coded(
    'a rule of the range broken (EXPORT.INVALID_REQUEST, EXPORT.TOO_EARLY, EXPORT.RANGE_REVERSED, EXPORT.RANGE_TOO_LONG), a parameter the endpoint does not have, a filter value not allowed, or a bad limit or cursor (INPUT.INVALID); problems[].field names it',
  ),
  '401': coded('no valid bearer token (AUTH.UNAUTHENTICATED)'),
  '403': coded('neither caseStats:view nor caseStats:download, or another channel (AUTH.FORBIDDEN)'),
  '429': coded('too many requests from this client address a minute (INPUT.RATE_LIMITED)'),
  '503': coded('the database is unavailable: try again shortly (DATABASE.UNAVAILABLE)'),
};
const ok = (description: string, schema: object) => ({ '200': { description, content: { 'application/json': { schema } } } });
const num = { type: 'number' };
const nullableNum = { type: 'number', nullable: true };
const durationFigures = {
  type: 'object',
  required: ['count', 'mean', 'p50', 'p90'],
  properties: { count: { type: 'integer' }, mean: nullableNum, p50: nullableNum, p90: nullableNum },
  description: 'seconds, not rounded, over the cases where the field is not null; mean, p50, p90 null when count is 0; p50/p90 as percentile_cont',
};
const group = { type: 'object', properties: { id: { type: 'string', nullable: true }, name: { type: 'string', nullable: true }, summary: { $ref: '#/components/schemas/CaseSummary' } } };

export const dashboardSchemas = {
  CaseSummary: {
    type: 'object',
    properties: {
      ...Object.fromEntries(['cases', 'inProgress', 'completed', 'inbound', 'outbound', 'replied', 'missedCases', 'missedCalls', 'snoozedCases'].map((k) => [k, { type: 'integer' }])),
      ...Object.fromEntries(DURATION_METRICS.map((k) => [k, durationFigures])),
      csat: {
        type: 'object',
        description: 'over the cases whose profile.csat is an integer 1–5',
        properties: {
          count: { type: 'integer' },
          mean: nullableNum,
          distribution: { type: 'object', required: ['1', '2', '3', '4', '5'], properties: Object.fromEntries(['1', '2', '3', '4', '5'].map((k) => [k, { type: 'integer' }])) },
        },
      },
    },
  },
  CaseStats: {
    type: 'object',
    properties: {
      channelId: { type: 'string' },
      from: { type: 'string', format: 'date' },
      to: { type: 'string', format: 'date' },
      timezone: { type: 'string' },
      interval: { type: 'string', enum: [...INTERVALS] },
      filters: { type: 'object', description: 'the filters applied, as given (duplicates removed)' },
      asOf: { type: 'string', format: 'date-time', description: 'every change committed before it is in the figures' },
      percentiles: {
        type: 'string',
        enum: ['exact', 'approximate'],
        description: 'approximate (above 100,000 matching cases): each p50/p90 within 1% of the exact value or 1 second, whichever is larger',
      },
      summary: { $ref: '#/components/schemas/CaseSummary' },
      series: {
        type: 'array',
        description: 'one entry per bucket of userChatCaseCreatedAt in timezone, every bucket of the range, in order; start is its first day (a week starts on Monday, possibly before from)',
        items: { type: 'object', properties: { start: { type: 'string', format: 'date' }, summary: { $ref: '#/components/schemas/CaseSummary' } } },
      },
      breakdowns: {
        type: 'object',
        description:
          'one entry per teamId, assigneeId, mediumName, tag and direction among the cases, plus id null for cases without one (a case counts once under each of its tags); name is the teamName/assigneeName of the group\'s latest case, the id itself for the others; sorted by cases descending, then id',
        properties: Object.fromEntries(['team', 'assignee', 'medium', 'tag', 'direction'].map((k) => [k, { type: 'array', items: group }])),
      },
    },
  },
};

const itemKeys = CASE_FIELDS.filter((f) => f.kind !== 'profile').map((f) => f.key);

export const dashboardPaths = {
  '/api/channels/{channelId}/case-stats': {
    parameters: [channel],
    get: {
      summary: "The dashboard's figures: summary, series per bucket, breakdowns (caseStats:view or caseStats:download)",
      parameters: [...range, { name: 'interval', in: 'query', required: false, schema: { type: 'string', enum: [...INTERVALS], default: 'day' } }, ...filters],
      responses: { ...ok('the figures', { $ref: '#/components/schemas/CaseStats' }), ...errors },
    },
  },
  '/api/channels/{channelId}/case-filters': {
    parameters: [channel],
    get: {
      summary: 'The values the filter pickers offer for a range: teams and assignees {id, name} (named by their latest case), tags, mediumNames, each sorted by id',
      parameters: range,
      responses: {
        ...ok('the values', {
          type: 'object',
          properties: {
            teams: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string', nullable: true } } } },
            assignees: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string', nullable: true } } } },
            tags: { type: 'array', items: { type: 'string' } },
            mediumNames: { type: 'array', items: { type: 'string' } },
            asOf: { type: 'string', format: 'date-time' },
          },
        }),
        ...errors,
      },
    },
  },
  '/api/channels/{channelId}/cases': {
    parameters: [channel],
    get: {
      summary: 'The matching case records, in the export order (userChatCaseCreatedAt, then userChatCaseId), a page at a time',
      parameters: [
        ...range,
        ...filters,
        { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
        { name: 'cursor', in: 'query', required: false, schema: { type: 'string' }, description: 'the nextCursor of the previous page' },
      ],
      responses: {
        ...ok('a page', {
          type: 'object',
          required: ['items'],
          properties: {
            items: {
              type: 'array',
              items: {
                type: 'object',
                description: `a case record as the change feed gives it: ${itemKeys.join(', ')}, then profile.{key} for each custom profile key; timestamps ISO-8601 UTC, durations in seconds and counts as numbers, tags, managerIds and managerNames joined with ", ", null for an empty value`,
                additionalProperties: { nullable: true, oneOf: [{ type: 'string' }, num] },
              },
            },
            nextCursor: { type: 'string', description: 'absent on the last page' },
          },
        }),
        ...errors,
      },
    },
  },
};
