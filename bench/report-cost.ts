/**
 * The report's sections of units, prices and sizes (bench/report.ts): cost per action and per
 * million messages, the cold start proxy, the push pipeline and the scale on AWS.
 */
import { type Section, table } from './report-table.ts';
import { renderBigGroupPush } from './scenarios/push-big.ts';

export const costSection: Section = ({ cost }) => {
  if (!cost) return [];
  const headers = ['action', 'read', 'write', 'total', 'after seeding', 'posts', 'jobs', 'handler ms'];
  return [
    '\n### Cost per action (DynamoDB units per action; transactional writes at 2x)\n',
    table(
      [...headers, 'commands per action'],
      cost.fresh.map((c) => [
        c.label + (c.errors ? ` (${c.errors} errors!)` : ''),
        c.read,
        c.write,
        c.total,
        cost.seeded.find((s) => s.label === c.label)?.total ?? '',
        c.posts,
        c.jobs ?? '',
        c.handlerMs,
        Object.entries(c.commands)
          .map(
            ([k, v]) =>
              `${k}×${v.calls} ${v.read ? `${v.read}R` : ''}${v.write ? `${v.write}W` : ''}${v.estimatedWrite ? `+${v.estimatedWrite}W est.` : ''}`,
          )
          .join(', '),
      ]),
    ),
    '\n### Cost per million messages (AWS list prices, see assumptions)\n',
    table(
      ['message', 'DynamoDB $', 'API Gateway $', 'Lambda $', 'SQS $', 'total $'],
      Object.entries(cost.perMillionMessages).map(([k, v]) => [
        k,
        v.dynamodb,
        v.apiGateway,
        v.lambda,
        v.sqs,
        v.total,
      ]),
    ),
    ...cost.notes.map((note) => `- ${note}`),
  ];
};

export const coldStartSection: Section = ({ coldStart }) => {
  if (!coldStart?.length) return [];
  const kb = (bytes: number) => Math.round(bytes / 102.4) / 10;
  return [
    '\n### Cold start proxy (median of fresh node processes, `await import()` only)\n',
    table(
      ['handler', 'bundle KB', 'gzip KB', 'bundled load ms', 'node_modules load ms'],
      coldStart.map((c) => [
        c.handler,
        kb(c.bundleBytes),
        kb(c.bundleGzipBytes),
        c.bundledLoadMs,
        c.unbundledLoadMs,
      ]),
    ),
  ];
};

export const pushSection: Section = ({ push, pushBigGroup: big }) => {
  if (!push) return [];
  const l = push.sendLatency;
  const b = push.burst;
  const out = ['\n### Push pipeline (stream poller → push Lambda → APNs/FCM stand-ins)\n'];
  out.push(
    table(
      ['sendMessage (1:1, frame → ack)', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
      [
        ['pipeline paused', l.off.count, l.off.p50, l.off.p95, l.off.p99, l.off.max],
        ['pipeline running', l.on.count, l.on.p50, l.on.p95, l.on.p99, l.on.max],
        ['change', '', `${l.p50ChangePct} %`, '', `${l.p99ChangePct} %`, ''],
      ],
    ),
  );
  out.push(
    `\nBurst: ${b.messages} messages to ${b.groups} groups with ${b.offlinePerGroup} offline members each: ` +
      `${b.pushes}/${b.expected} notifications in ${b.seconds} s = **${b.pushesPerSecond} pushes/s**; ` +
      `ack → notification p50 ${b.ackToPush.p50} ms, p99 ${b.ackToPush.p99} ms (sender's ack p50 ${b.sendAck.p50} ms).`,
  );
  if (push.units) {
    const u = push.units;
    out.push(
      '\n' +
        table(
          ['pipeline DynamoDB units', 'read', 'write', 'total'],
          [
            [
              'per 1:1 message, both online (no push)',
              u.perMessageOnline.read,
              u.perMessageOnline.write,
              u.perMessageOnline.total,
            ],
            [
              `per group message, ${b.offlinePerGroup} offline recipients`,
              u.perMessageBurst.read,
              u.perMessageBurst.write,
              u.perMessageBurst.total,
            ],
            ['per notification sent', u.perPush.read, u.perPush.write, u.perPush.total],
          ],
        ),
    );
    out.push(
      `\nBurst commands: ${Object.entries(u.commands)
        .map(([k, c]) => `${k}×${c.calls} ${c.read}R${c.write ? ` ${c.write}W` : ''}`)
        .join(', ')}.`,
    );
  }
  if (big) out.push(`\n${renderBigGroupPush(big)}`);
  return out;
};

export const scaleSection: Section = ({ scale }) => {
  if (!scale?.length) return [];
  return [
    "\n### Scale on AWS (from this run's units and AWS's published prices and limits)\n",
    table(
      ['scenario', 'item', 'value', 'basis'],
      scale.map((x) => [x.scenario, x.item, x.value, x.basis]),
    ),
  ];
};
