/**
 * A fan-out with a frame per part of its users (`FanOut.toEach`): `chat.created` of a group of more
 * than 200 members, whose Chat lists each recipient's own entry (lambdas/domain/views.ts
 * `chatViewsFor`), so the members get one of a few frames. Each socket still gets one post.
 */
import type { Frame } from '../shared/frames.ts';
import type { Target } from './delivery.ts';

/** One frame and the users it is for (a user in no earlier part). */
export interface FramePart {
  readonly userIds: readonly string[];
  readonly frame: Frame;
}

/** One frame and the sockets it goes to. */
export interface SocketsPart {
  readonly targets: readonly Target[];
  readonly frame: Frame;
}

/**
 * Each part's frame with its users' sockets (a user named by two parts: the first's). One part gets
 * every socket, whoever's (`toUsers` passed the sockets it looked up for its users).
 */
export function splitByUser(parts: readonly FramePart[], targets: readonly Target[]): SocketsPart[] {
  const [only] = parts;
  if (parts.length === 1 && only) return [{ targets, frame: only.frame }];
  const partOf = new Map<string, number>();
  parts.forEach((part, i) => {
    for (const userId of part.userIds) if (!partOf.has(userId)) partOf.set(userId, i);
  });
  const split = parts.map((part) => ({ frame: part.frame, targets: [] as Target[] }));
  for (const target of targets) split[partOf.get(target.userId) ?? -1]?.targets.push(target);
  return split;
}

/** The parts' frames for those of `userIds` they are for (parts left empty are left out). */
export function partsOf(parts: readonly FramePart[], userIds: readonly string[]): FramePart[] {
  if (userIds.length === 0) return [];
  const wanted = new Set(userIds);
  const seen = new Set<string>();
  return parts.flatMap((part) => {
    const mine: string[] = [];
    for (const id of part.userIds) {
      if (!wanted.has(id) || seen.has(id)) continue;
      seen.add(id);
      mine.push(id);
    }
    return mine.length > 0 ? [{ userIds: mine, frame: part.frame }] : [];
  });
}
