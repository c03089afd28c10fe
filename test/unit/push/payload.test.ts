/** What a notification says (preview, labels) and each provider's request format. */
import { describe, expect, it } from 'vitest';
import { previewText } from '../../../lambdas/domain/preview.ts';
import { loadPushConfig } from '../../../lambdas/push/config.ts';
import {
  apnsRequest,
  BODY_MAX_CHARS,
  bodyOf,
  fcmMessage,
  ID_ONLY_TITLE,
  type PushContent,
  preview,
} from '../../../lambdas/push/payload.ts';
import { retryAfterMs } from '../../../lambdas/push/provider.ts';

const content: PushContent = {
  chatId: 'c1',
  messageId: 'm1_x',
  seq: 7,
  senderId: 'alice',
  title: 'Team',
  body: 'Hello',
  badge: 3,
};

describe('preview', () => {
  it('keeps at most 100 characters (code points), folds whitespace, marks a cut', () => {
    expect(preview('  hello \n\n  world\t ')).toBe('hello world');
    const long = 'a'.repeat(150);
    expect(preview(long)).toBe(`${'a'.repeat(99)}…`);
    expect([...preview(long)]).toHaveLength(BODY_MAX_CHARS);
    const emoji = '😀'.repeat(120);
    expect([...preview(emoji)]).toHaveLength(100);
    expect(preview(emoji).isWellFormed()).toBe(true);
    expect(preview('x'.repeat(100))).toBe('x'.repeat(100));
  });

  it('labels a message without text as listChats does (previewText)', () => {
    const image = { kind: 'image', fileName: null } as const;
    const file = (fileName: string | null) => ({ kind: 'file', fileName }) as const;
    expect(bodyOf({ text: 'hi', attachments: [image] })).toBe('hi');
    expect(bodyOf({ text: '', attachments: [image] })).toBe('Photo');
    expect(bodyOf({ text: '', attachments: [{ kind: 'audio', fileName: null }] })).toBe('Voice message');
    expect(bodyOf({ text: '', attachments: [{ kind: 'video', fileName: 'clip.mp4' }] })).toBe('Video');
    expect(bodyOf({ text: '', attachments: [file('report.pdf')] })).toBe('report.pdf');
    expect(bodyOf({ text: '', attachments: [file(null)] })).toBe('File');
    expect(bodyOf({ text: '', attachments: [image, image, image] })).toBe('3 photos');
    expect(bodyOf({ text: '', attachments: [image, file('a.pdf')] })).toBe('2 attachments');
    expect(bodyOf({ text: '' })).toBe('');
    for (const attachments of [[image], [file('x.pdf'), image]]) {
      expect(bodyOf({ text: '', attachments })).toBe(previewText({ text: '', attachments }));
    }
  });
});

describe('APNs request', () => {
  const now = new Date('2026-03-01T12:00:00Z');
  it('is an alert with title, body, badge and the chat as thread, plus the ids', () => {
    const { headers, body } = apnsRequest(content, false, now);
    expect(headers).toEqual({
      'apns-push-type': 'alert',
      'apns-priority': '10',
      'apns-expiration': String(now.getTime() / 1000 + 86_400),
    });
    expect(body).toEqual({
      aps: { alert: { title: 'Team', body: 'Hello' }, badge: 3, sound: 'default', 'thread-id': 'c1' },
      chatId: 'c1',
      messageId: 'm1_x',
      seq: 7,
      senderId: 'alice',
    });
  });

  it('id-only: a generic alert the app rewrites (mutable-content), no text or names', () => {
    const { body } = apnsRequest(content, true, now);
    expect(body.aps).toEqual({
      alert: { title: ID_ONLY_TITLE },
      'mutable-content': 1,
      badge: 3,
      sound: 'default',
      'thread-id': 'c1',
    });
    expect(JSON.stringify(body)).not.toMatch(/Team|Hello/);
  });
});

describe('FCM message', () => {
  it('is a notification with string data, tagged and collapsed per chat', () => {
    expect(fcmMessage(content, false)).toEqual({
      notification: { title: 'Team', body: 'Hello' },
      data: {
        chatId: 'c1',
        messageId: 'm1_x',
        seq: '7',
        senderId: 'alice',
        badge: '3',
        title: 'Team',
        body: 'Hello',
      },
      android: { priority: 'high', collapse_key: 'c1', notification: { tag: 'c1', notification_count: 3 } },
      apns: { payload: { aps: { badge: 3, 'thread-id': 'c1', sound: 'default' } } },
    });
  });

  it('id-only: a data message without notification, text or names', () => {
    const message = fcmMessage(content, true);
    expect(message).not.toHaveProperty('notification');
    expect(message.data).toEqual({
      chatId: 'c1',
      messageId: 'm1_x',
      seq: '7',
      senderId: 'alice',
      badge: '3',
    });
    expect(JSON.stringify(message)).not.toMatch(/Team|Hello/);
  });

  it('id-only: data-only on Android, the APNs id-only alert on iOS (the service extension runs)', () => {
    const message = fcmMessage(content, true);
    expect(message.android).toEqual({ priority: 'high', collapse_key: 'c1' });
    // A background push (content-available, priority 5) shows nothing, is throttled and never runs a
    // Notification Service Extension: iOS gets the alert APNs itself is sent in id-only mode.
    const apns = apnsRequest(content, true, new Date());
    expect(message.apns).toEqual({
      headers: { 'apns-push-type': 'alert', 'apns-priority': '10' },
      payload: { aps: apns.body.aps },
    });
    expect(apns.body.aps).toMatchObject({ 'mutable-content': 1, alert: { title: ID_ONLY_TITLE } });
    expect(JSON.stringify(message.apns)).not.toMatch(/content-available|background/);
  });
});

describe('Retry-After', () => {
  it('reads seconds or an HTTP date', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(retryAfterMs(undefined)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
  });
});

describe('configuration', () => {
  const apns = { teamId: 'T', keyId: 'K', privateKey: 'pem', topic: 'com.example.chat' };
  const fcm = { project_id: 'p', client_email: 'e@p.iam.gserviceaccount.com', private_key: 'pem' };

  it('is off without credentials', async () => {
    expect(await loadPushConfig({})).toEqual({ apns: undefined, fcm: undefined, idOnly: false });
  });

  it('reads the secrets named by ARN (never inline credentials when an ARN is set)', async () => {
    const read: string[] = [];
    const config = await loadPushConfig(
      {
        PUSH_APNS_SECRET_ARN: 'arn:apns',
        PUSH_FCM_SECRET_ARN: 'arn:fcm',
        PUSH_APNS_CREDENTIALS: '{"bad":true}',
        PUSH_ID_ONLY: 'true',
      },
      async (id) => {
        read.push(id);
        return JSON.stringify(id === 'arn:apns' ? { ...apns, environment: 'sandbox' } : fcm);
      },
    );
    expect(read.sort()).toEqual(['arn:apns', 'arn:fcm']);
    expect(config.apns).toMatchObject({ ...apns, endpoint: 'https://api.sandbox.push.apple.com' });
    expect(config.fcm).toMatchObject({
      projectId: 'p',
      clientEmail: fcm.client_email,
      tokenUri: 'https://oauth2.googleapis.com/token',
      endpoint: 'https://fcm.googleapis.com',
    });
    expect(config.idOnly).toBe(true);
  });

  it('takes inline credentials and endpoint overrides (local stand-ins); production APNs by default', async () => {
    const config = await loadPushConfig({
      PUSH_APNS_CREDENTIALS: JSON.stringify(apns),
      PUSH_FCM_CREDENTIALS: JSON.stringify(fcm),
      PUSH_FCM_ENDPOINT: 'http://127.0.0.1:9',
    });
    expect(config.apns?.endpoint).toBe('https://api.push.apple.com');
    expect(config.fcm?.endpoint).toBe('http://127.0.0.1:9');
  });

  it('names what is missing', async () => {
    await expect(
      loadPushConfig({ PUSH_APNS_CREDENTIALS: JSON.stringify({ ...apns, keyId: '' }) }),
    ).rejects.toThrow(/APNs keyId is missing/);
  });
});
