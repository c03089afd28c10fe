/**
 * Who is calling: the user the `$connect` authorizer verified, as API Gateway hands it to every later
 * route in `requestContext.authorizer`. One type for the pipeline and the domain.
 */
import { ChatError } from './errors.ts';

export interface Caller {
  readonly userId: string;
  /** Display name (never an e-mail address). */
  readonly name: string;
  /**
   * An administrator (the token's roles claim holds `admin`): may remove members, delete messages
   * and delete chats anywhere, and list reports. Absent means no.
   */
  readonly admin?: boolean;
}

/** The authorizer context as API Gateway passes it (string values; `principalId` always set). */
export type AuthorizerContext = Readonly<Record<string, unknown>> | undefined;

export function callerOf(authorizer: AuthorizerContext): Caller {
  const userId = authorizer?.userId ?? authorizer?.principalId;
  if (typeof userId !== 'string' || userId.length === 0) {
    throw new ChatError('FORBIDDEN', 'This connection carries no identity. Reconnect with a valid token.');
  }
  const name = typeof authorizer?.name === 'string' && authorizer.name ? authorizer.name : userId;
  // API Gateway hands context values on as strings (the authorizer's `true` arrives as "true"), and
  // so does the local gateway.
  const admin = authorizer?.admin === 'true';
  return admin ? { userId, name, admin } : { userId, name };
}
