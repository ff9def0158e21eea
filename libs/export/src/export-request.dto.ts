import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { CASE_STATES, DIRECTIONS, MEDIUM_NAMES, USER_CHAT_STATES } from '@casestats/case-projection';
import { IsWellFormedText } from './well-formed-text';

const LIST = { each: true } as const;
/** The values a filter takes are the field table's (libs/case-projection), never a copy of them. */
const oneOf = (values: readonly string[]) => ({ each: true, message: `each value of $property must be one of ${values.join(', ')}` });
/** No control characters: PostgreSQL refuses NUL in text, and none belongs in an id, a tag or a zone. */
export const NO_CONTROLS = /^\P{Cc}*$/u;
const plain = { each: true, message: 'each value of $property must have no control characters' };
const wellFormed = { each: true, message: 'each value of $property must be well-formed text, without a lone surrogate (an unpaired U+D800–U+DFFF)' };

export class ExportFiltersDto {
  @IsOptional() @IsArray() @ArrayMaxSize(500) @IsString(LIST) @MaxLength(200, LIST) @Matches(NO_CONTROLS, plain) @IsWellFormedText(wellFormed)
  teamIds?: string[];

  @IsOptional() @IsArray() @ArrayMaxSize(500) @IsString(LIST) @MaxLength(200, LIST) @Matches(NO_CONTROLS, plain) @IsWellFormedText(wellFormed)
  assigneeIds?: string[];

  @IsOptional() @IsArray() @ArrayMaxSize(500) @IsString(LIST) @MaxLength(200, LIST) @Matches(NO_CONTROLS, plain) @IsWellFormedText(wellFormed)
  tags?: string[];

  @IsOptional() @IsArray() @IsIn([...MEDIUM_NAMES], oneOf(MEDIUM_NAMES))
  mediumNames?: string[];

  @IsOptional() @IsArray() @IsIn([...DIRECTIONS], oneOf(DIRECTIONS))
  directions?: string[];

  @IsOptional() @IsArray() @IsIn([...CASE_STATES], oneOf(CASE_STATES))
  caseStates?: string[];

  @IsOptional() @IsArray() @IsIn([...USER_CHAT_STATES], oneOf(USER_CHAT_STATES))
  userChatStates?: string[];
}

/**
 * Which cases (export.md): the range, time zone and filters the dashboard's query gives. The same
 * fields as the export request's, declared again rather than inherited: class-validator reports
 * a subclass's fields first, and the first problem decides an export refusal's code.
 */
export class CaseQueryDto {
  @IsString({ message: 'from is required, a date YYYY-MM-DD' })
  from!: string;

  @IsString({ message: 'to is required, a date YYYY-MM-DD' })
  to!: string;

  @IsOptional() @IsString() @MaxLength(100) @Matches(NO_CONTROLS, { message: 'timezone must have no control characters' })
  @IsWellFormedText({ message: 'timezone must be well-formed text, without a lone surrogate (an unpaired U+D800–U+DFFF)' })
  timezone?: string;

  @IsOptional() @IsObject() @ValidateNested() @Type(() => ExportFiltersDto)
  filters?: ExportFiltersDto;
}

/** The export request of export.md, as the HTTP body and the CLI flags both give it. */
export class ExportRequestDto {
  @IsString({ message: 'from is required, a date YYYY-MM-DD' })
  from!: string;

  @IsString({ message: 'to is required, a date YYYY-MM-DD' })
  to!: string;

  @IsOptional() @IsString() @MaxLength(100) @Matches(NO_CONTROLS, { message: 'timezone must have no control characters' })
  @IsWellFormedText({ message: 'timezone must be well-formed text, without a lone surrogate (an unpaired U+D800–U+DFFF)' })
  timezone?: string;

  @IsOptional() @IsObject() @ValidateNested() @Type(() => ExportFiltersDto)
  filters?: ExportFiltersDto;

  // The value is never echoed: messages name the rule only.
  @IsString({ message: 'password is required' })
  @Matches(/^[A-Za-z0-9]{4,64}$/, { message: 'password must be 4 to 64 letters A-Z, a-z or digits 0-9' })
  password!: string;

  @IsString({ message: 'reason is required' })
  reason!: string;
}
