import { FieldReader } from './field.read';
import { MEDIUM_NAMES, UserChatCreated } from './event.types';

type CreatedData = UserChatCreated['data'];

/**
 * Producers sent version 1 until 2025-07-17. It differs only in `userChat.created`, which named
 * the medium `contactMediumType` and its account `appMessenger`. This is the one place that knows.
 */
export function readCreatedV1(data: FieldReader): Pick<CreatedData, 'medium'> {
  const name = data.oneOf('contactMediumType', MEDIUM_NAMES);
  const senderName = data.optStr('appMessenger');
  return { medium: senderName === undefined ? { name } : { name, senderName } };
}

export function readCreatedV2(data: FieldReader): Pick<CreatedData, 'medium'> {
  const medium = data.obj_('medium');
  const name = medium.oneOf('name', MEDIUM_NAMES);
  const senderName = medium.optStr('senderName');
  return { medium: senderName === undefined ? { name } : { name, senderName } };
}
