/** Filter patterns of the table's stream that several consumers share. */
import { MESSAGE } from '../data/items.ts';
import type { FilterPattern } from './filter.ts';

/** A message item was written for the first time: every `message.created` (sent or scheduled). */
export const MESSAGE_CREATED: FilterPattern = {
  eventName: ['INSERT'],
  dynamodb: { NewImage: { itemType: { S: [MESSAGE.itemType] } } },
};
