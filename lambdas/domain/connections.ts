/** Connection lifecycle: what `$connect` and `$disconnect` mean for the domain. */
import type { Deps } from './deps.ts';

export interface ConnectInput {
  readonly userId: string;
  readonly name: string;
  readonly connectionId: string;
  readonly connectedAt: Date;
}

/** Stores the connection in the user's connection index and refreshes the profile. */
export async function openConnection(deps: Deps, input: ConnectInput): Promise<void> {
  const connectedAt = input.connectedAt.toISOString();
  await deps.store.putConnection({ userId: input.userId, connectionId: input.connectionId, connectedAt });
  await deps.store.touchProfile(input.userId, input.name, connectedAt);
}

/** Removes the connection and records when the user was last seen. */
export async function closeConnection(deps: Deps, userId: string, connectionId: string): Promise<void> {
  await deps.store.deleteConnection(userId, connectionId);
}
