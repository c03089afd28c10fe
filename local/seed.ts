/**
 * Demo data for `npm run dev`, like the older systems' seeded users and groups: an admin and four
 * users, a direct chat and two groups with a few messages. Idempotent: skipped when the demo users
 * already have chats (for example with --persist).
 */
import { createChat } from '../lambdas/domain/chats.ts';
import { deps } from '../lambdas/domain/deps.ts';
import { sendMessage } from '../lambdas/domain/send.ts';

/** The demo `admin` user is an administrator (the `roles` claim, issue 14) wherever its token is minted. */
export const DEMO_USERS = [
  { userId: 'admin', name: 'Admin', roles: ['admin'] },
  { userId: 'alice', name: 'Alice' },
  { userId: 'bob', name: 'Bob' },
  { userId: 'carol', name: 'Carol' },
  { userId: 'dave', name: 'Dave' },
] as const;

export interface SeedResult {
  readonly seeded: boolean;
  readonly chats: { chatId: string; name: string }[];
}

export async function seedDemoData(): Promise<SeedResult> {
  const d = deps();
  const existing = await d.store.chats.listMemberships('alice');
  if (existing.length > 0) return { seeded: false, chats: [] };
  for (const user of DEMO_USERS) await d.store.profiles.setName(user.userId, user.name);
  const [admin, alice, bob] = DEMO_USERS;
  const seedConnection = 'seed';
  const say = (user: { userId: string; name: string }, chatId: string, text: string) =>
    sendMessage(d, user, { chatId, text, connectionId: seedConnection });

  const direct = await createChat(d, alice, { kind: 'direct', userId: bob.userId });
  await say(alice, direct.chat.chatId, 'Hi Bob! Are you coming to the demo?');
  await say(bob, direct.chat.chatId, 'Yes, see you there.');

  const general = await createChat(d, admin, {
    kind: 'group',
    name: 'General',
    memberIds: DEMO_USERS.map((u) => u.userId),
  });
  await say(admin, general.chat.chatId, 'Welcome to the demo chat, everyone.');
  await say(alice, general.chat.chatId, 'Hello from Alice 👋');

  const project = await createChat(d, admin, {
    kind: 'group',
    name: 'Project X',
    memberIds: ['alice', 'carol'],
  });
  await say(admin, project.chat.chatId, 'Kick-off on Monday.');

  return {
    seeded: true,
    chats: [
      { chatId: direct.chat.chatId, name: 'Alice ↔ Bob (direct)' },
      { chatId: general.chat.chatId, name: 'General' },
      { chatId: project.chat.chatId, name: 'Project X' },
    ],
  };
}
