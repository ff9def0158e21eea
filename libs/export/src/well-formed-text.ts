import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * A lone surrogate (U+D800–U+DFFF not in a pair) is no character: PostgreSQL's jsonb refuses it
 * and its text columns turn it into U+FFFD, so a value holding one could be neither kept nor
 * audited as given. In a `u` pattern a lone surrogate is \p{Cs}; a pair is one code point, not Cs.
 */
const LONE_SURROGATE = /\p{Cs}/u;

/** String.prototype.isWellFormed, which this workspace's ES2022 lib does not declare. */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/** Strings only; anything else is left to the type check beside it. */
export function IsWellFormedText(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy({ name: 'isWellFormedText', validator: { validate: (value) => typeof value !== 'string' || isWellFormedText(value) } }, options);
}
