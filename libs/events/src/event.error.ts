export type EventErrorCode =
  | 'EVENT.INVALID_JSON'
  | 'EVENT.INVALID_ENVELOPE'
  | 'EVENT.UNKNOWN_TYPE'
  | 'EVENT.UNSUPPORTED_VERSION'
  | 'EVENT.INVALID_DATA';

/** Why an event was refused; kept with the original bytes as a dead letter. */
export interface EventError {
  code: EventErrorCode;
  reason: string;
}

/** Thrown only inside the parser, turned into an `EventError` result at its boundary. */
export class EventValidationError extends Error {
  constructor(
    readonly code: EventErrorCode,
    message: string,
  ) {
    super(message);
  }
}
