/**
 * The one-line preview of a message: `listChats.lastMessage.text` and the body of push notifications.
 * Its text, cut to `maxChars` characters, or — when the text is empty and the message carries
 * attachments — a label: "Photo", "Voice message", "Video", the file's name, or a count
 * ("3 photos", "2 attachments").
 */
import type { Attachment, Message } from '../contract/objects.ts';

const LABELS = {
  image: ['Photo', 'photos'],
  audio: ['Voice message', 'voice messages'],
  video: ['Video', 'videos'],
  file: ['File', 'files'],
} as const;

export function previewText(
  message: Pick<Message, 'text'> & { readonly attachments: readonly Pick<Attachment, 'kind' | 'fileName'>[] },
  maxChars = 200,
): string {
  const text = message.text === '' ? attachmentLabel(message.attachments) : message.text;
  const chars = [...text];
  return chars.length <= maxChars ? text : `${chars.slice(0, Math.max(0, maxChars - 1)).join('')}…`;
}

function attachmentLabel(attachments: readonly Pick<Attachment, 'kind' | 'fileName'>[]): string {
  const [first] = attachments;
  if (!first) return '';
  if (attachments.length === 1) {
    return first.kind === 'file' ? (first.fileName ?? LABELS.file[0]) : LABELS[first.kind][0];
  }
  const sameKind = attachments.every((a) => a.kind === first.kind);
  return `${attachments.length} ${sameKind ? LABELS[first.kind][1] : 'attachments'}`;
}
