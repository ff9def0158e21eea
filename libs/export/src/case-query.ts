import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { AppError, type FieldProblem } from '@casestats/config';
import { CaseQueryDto } from './export-request.dto';
import { FILTER_KEYS, caseQueryOf, flattenProblems, rangeProblems, type ExportRules, type ValidCaseQuery } from './export-rules';

const SINGLE_KEYS = ['from', 'to', 'timezone'] as const;

/**
 * The dashboard's query string (dashboard.md, "The API") → which cases, by the export's rules:
 * `from`, `to`, `timezone` once each, and the filters as repeated parameters
 * (`?teamIds=t-1&teamIds=t-2`). `extra` names the endpoint's own parameters (interval, limit,
 * cursor), read by the caller; any other name is refused, as the export refuses an unknown key: a
 * misspelt filter would otherwise show the whole channel.
 */
export function validateCaseQuery(channelId: string, query: Record<string, unknown>, rules: ExportRules, extra: readonly string[] = []): ValidCaseQuery {
  const problems: FieldProblem[] = [];
  const body: Record<string, unknown> = {};
  const filters: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(query)) {
    if ((SINGLE_KEYS as readonly string[]).includes(key)) {
      if (typeof value === 'string') body[key] = value;
      else problems.push({ field: key, code: 'EXPORT.INVALID_REQUEST', message: `${key} must be given once` });
    } else if ((FILTER_KEYS as readonly string[]).includes(key)) {
      const values = Array.isArray(value) ? value : [value];
      if (values.every((v) => typeof v === 'string')) filters[key] = values.filter((v) => v !== '');
      else problems.push({ field: key, code: 'EXPORT.INVALID_REQUEST', message: `${key} must be repeated as ${key}=value, not nested` });
    } else if (!extra.includes(key)) {
      problems.push({
        field: key,
        code: 'EXPORT.INVALID_REQUEST',
        message: `${key} is not a parameter; the parameters are ${[...SINGLE_KEYS, ...FILTER_KEYS, ...extra].join(', ')}`,
      });
    }
  }
  const dto = plainToInstance(CaseQueryDto, { ...body, filters });
  if (!problems.length) {
    problems.push(...flattenProblems(validateSync(dto, { forbidUnknownValues: false, whitelist: true, forbidNonWhitelisted: true })));
    rangeProblems(dto, rules, problems);
  }
  if (problems.length) throw new AppError(problems[0].code ?? 'EXPORT.INVALID_REQUEST', problems.map((p) => p.message).join('; '), problems);
  return caseQueryOf(channelId, dto, rules);
}
