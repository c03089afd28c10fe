/**
 * The IAM check (scripts/iam-check.ts) on small fixtures: it must fail on a call no statement allows and
 * on a grant no call uses, honour `dynamodb:LeadingKeys`, and keep only reasoned allow-list entries; and
 * the recorder (lambdas/shared/call-recorder.ts) must turn SDK requests into the calls IAM authorizes.
 */
import { describe, expect, it } from 'vitest';
import { callsOf, dynamoCalls } from '../../lambdas/shared/call-recorder.ts';
import {
  type AllowListEntry,
  type Call,
  checkIam,
  type FunctionPolicy,
  type Statement,
  symbolicResource,
} from '../../scripts/iam-check.ts';

const TABLE = { 'Fn::GetAtt': ['Table1', 'Arn'] };
const GSI1 = { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Table1', 'Arn'] }, '/index/gsi1']] };
const CONNECTIONS = {
  'Fn::Join': [
    '',
    ['arn:', { Ref: 'AWS::Partition' }, ':execute-api:x:y:', { Ref: 'Api' }, '/prod/*/@connections/*'],
  ],
};
const resourceOf = (expr: unknown) => symbolicResource(expr, { table: 'Table1', secrets: ['Secret1'] });
const allow = (
  Action: string | string[],
  Resource: unknown,
  Condition?: Statement['Condition'],
): Statement => ({
  Effect: 'Allow',
  Action,
  Resource,
  ...(Condition ? { Condition } : {}),
});
const RUNTIME = [
  allow(['logs:CreateLogStream', 'logs:PutLogEvents'], { 'Fn::GetAtt': ['Logs', 'Arn'] }),
  allow(['xray:PutTraceSegments'], '*'),
];
const call = (fn: string, action: string, extra: Partial<Call> = {}): Call => ({
  fn,
  action,
  operation: action.split(':')[1] ?? action,
  table: 't',
  ...extra,
});
const USER_ONLY = { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['USER#*'] } };

describe('checkIam', () => {
  const policies: FunctionPolicy[] = [
    {
      fn: 'sendMessage',
      statements: [
        ...RUNTIME,
        allow(['dynamodb:GetItem', 'dynamodb:Query'], TABLE),
        allow('dynamodb:DeleteItem', TABLE, USER_ONLY),
        allow('execute-api:ManageConnections', CONNECTIONS),
      ],
    },
    { fn: 'listChats', statements: [...RUNTIME, allow('dynamodb:Query', GSI1)] },
  ];
  const used: Call[] = [
    call('sendMessage', 'dynamodb:GetItem'),
    call('sendMessage', 'dynamodb:Query'),
    call('sendMessage', 'dynamodb:DeleteItem', { leadingKey: 'USER#bob' }),
    {
      fn: 'sendMessage',
      action: 'execute-api:ManageConnections',
      operation: 'PostToConnection',
      resource: '@connections',
    },
    call('listChats', 'dynamodb:Query', { index: 'gsi1' }),
  ];

  it('passes when every call is allowed and every grant used', () => {
    const report = checkIam(used, policies, resourceOf);
    expect(report.missing).toEqual([]);
    expect(report.unused).toEqual([]);
  });

  it('fails on a call no statement allows: wrong action, wrong resource, unknown function', () => {
    const report = checkIam(
      [
        ...used,
        call('sendMessage', 'dynamodb:PutItem'),
        call('listChats', 'dynamodb:Query'), // the table, not the index it was granted
        call('typing', 'dynamodb:Query'),
      ],
      policies,
      resourceOf,
    );
    expect(report.missing).toEqual([
      'sendMessage: dynamodb:PutItem on table (PutItem) is not allowed by its policy',
      'listChats: dynamodb:Query on table (Query) is not allowed by its policy',
      'typing: no such function in the template, yet it called dynamodb:Query on table (Query)',
    ]);
  });

  it('fails on a DeleteItem outside the partitions its LeadingKeys condition allows', () => {
    const report = checkIam(
      [...used, call('sendMessage', 'dynamodb:DeleteItem', { leadingKey: 'CHAT#c1' })],
      policies,
      resourceOf,
    );
    expect(report.missing).toEqual([
      'sendMessage: dynamodb:DeleteItem on table (DeleteItem, key CHAT#c1) is not allowed by its policy',
    ]);
  });

  it('fails on a grant no call uses (runtime logging and tracing aside)', () => {
    const report = checkIam(
      used.filter((c) => c.action !== 'dynamodb:GetItem' && c.fn !== 'listChats'),
      policies,
      resourceOf,
    );
    expect(report.unused).toEqual([
      'sendMessage: dynamodb:GetItem on table is granted but never used',
      'listChats: dynamodb:Query on table/index/gsi1 is granted but never used',
    ]);
  });

  it('does not count a call outside a condition as use of the conditioned grant', () => {
    const report = checkIam(
      [
        ...used.filter((c) => c.action !== 'dynamodb:DeleteItem'),
        call('sendMessage', 'dynamodb:DeleteItem', { leadingKey: 'CHAT#x' }),
      ],
      policies,
      resourceOf,
    );
    expect(report.unused).toEqual([
      'sendMessage: dynamodb:DeleteItem on table for USER#* is granted but never used',
    ]);
  });

  it('keeps an unused grant only through an allow-list entry, and reports which entries were used', () => {
    const withSecret: FunctionPolicy[] = [
      ...policies,
      {
        fn: '$authorizer',
        statements: [...RUNTIME, allow('secretsmanager:GetSecretValue', { Ref: 'Secret1' })],
      },
    ];
    expect(checkIam(used, withSecret, resourceOf).unused).toEqual([
      '$authorizer: secretsmanager:GetSecretValue on secret is granted but never used',
    ]);
    const entry: AllowListEntry = {
      fn: '$authorizer',
      action: 'secretsmanager:GetSecretValue',
      resource: 'secret',
      reason: 'hs256 only',
    };
    const stale: AllowListEntry = { fn: 'x', action: 'dynamodb:Scan', resource: 'table', reason: 'never' };
    const report = checkIam(used, withSecret, resourceOf, [entry, stale]);
    expect(report.unused).toEqual([]);
    expect(report.allowListed).toEqual(['$authorizer: secretsmanager:GetSecretValue on secret — hs256 only']);
    expect([...report.usedAllowList]).toEqual([entry]);
  });

  it('counts calls made outside any handler, without checking them', () => {
    const report = checkIam([...used, { ...call('x', 'dynamodb:Scan'), fn: null }], policies, resourceOf);
    expect(report.unattributed).toBe(1);
    expect(report.missing).toEqual([]);
  });

  it('takes KMS grants as used by a function that calls DynamoDB (DynamoDB calls the key for it)', () => {
    const kms: FunctionPolicy[] = [
      {
        fn: 'getChat',
        statements: [allow('dynamodb:Query', TABLE), allow('kms:Decrypt', { 'Fn::GetAtt': ['Key', 'Arn'] })],
      },
    ];
    expect(checkIam([call('getChat', 'dynamodb:Query')], kms, resourceOf).unused).toEqual([]);
    expect(checkIam([], kms, resourceOf).unused).toHaveLength(2);
  });
});

describe('symbolic resources', () => {
  it('names the table, its indexes, the stage’s @connections and the secret', () => {
    expect(resourceOf(TABLE)).toBe('table');
    expect(resourceOf(GSI1)).toBe('table/index/gsi1');
    expect(resourceOf(CONNECTIONS)).toBe('@connections');
    expect(resourceOf({ Ref: 'Secret1' })).toBe('secret');
    expect(resourceOf('arn:aws:secretsmanager:eu-west-1:1:secret:chat/jwt-??????')).toBe('secret');
    expect(resourceOf('*')).toBe('*');
  });
});

describe('call recorder', () => {
  it('splits a transaction into the item actions IAM authorizes, each with its partition', () => {
    expect(
      dynamoCalls('TransactWriteItems', {
        TransactItems: [
          { Put: { TableName: 't', Item: { pk: 'CHAT#1', sk: 'META' } } },
          { Update: { TableName: 't', Key: { pk: { S: 'CHAT#1' }, sk: { S: 'MSG#1' } } } },
          { Delete: { TableName: 't', Key: { pk: 'PAIR#a#b', sk: 'PAIR' } } },
          { ConditionCheck: { TableName: 't', Key: { pk: 'USER#a', sk: 'PROFILE' } } },
        ],
      }).map((c) => [c.action, c.leadingKey]),
    ).toEqual([
      ['dynamodb:PutItem', 'CHAT#1'],
      ['dynamodb:UpdateItem', 'CHAT#1'],
      ['dynamodb:DeleteItem', 'PAIR#a#b'],
      ['dynamodb:ConditionCheckItem', 'USER#a'],
    ]);
  });

  it('records the index and partition of a Query, and each table of a batch', () => {
    expect(
      dynamoCalls('Query', {
        TableName: 't',
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :p)',
        ExpressionAttributeValues: { ':pk': 'USER#a', ':p': 'CHAT#' },
      }),
    ).toEqual([
      { action: 'dynamodb:Query', operation: 'Query', table: 't', index: 'gsi1', leadingKey: 'USER#a' },
    ]);
    expect(
      dynamoCalls('BatchGetItem', { RequestItems: { t: { Keys: [{ pk: 'CHAT#1', sk: 'META' }] } } }),
    ).toEqual([
      { action: 'dynamodb:BatchGetItem', operation: 'BatchGetItem', table: 't', leadingKey: 'CHAT#1' },
    ]);
  });

  it('records a batch once per partition-key prefix of its items (IAM checks every key of it)', () => {
    const calls = (operation: string, input: Record<string, unknown>) =>
      dynamoCalls(operation, input).map((c) => [c.action, c.leadingKey]);
    expect(
      calls('BatchGetItem', {
        RequestItems: {
          t: {
            Keys: [
              { pk: 'USER#a', sk: 'CHAT#1' },
              { pk: { S: 'CHAT#1' }, sk: { S: 'META' } },
              { pk: 'USER#b', sk: 'CHAT#1' },
            ],
          },
        },
      }),
    ).toEqual([
      ['dynamodb:BatchGetItem', 'USER#a'],
      ['dynamodb:BatchGetItem', 'CHAT#1'],
    ]);
    expect(
      calls('BatchWriteItem', {
        RequestItems: {
          t: [
            { DeleteRequest: { Key: { pk: 'USER#a', sk: 'CHAT#1' } } },
            { PutRequest: { Item: { pk: 'ROSTER#1', sk: 'c1' } } },
            { DeleteRequest: { Key: { pk: 'ROSTER#1', sk: 'c2' } } },
          ],
        },
      }),
    ).toEqual([
      ['dynamodb:BatchWriteItem', 'USER#a'],
      ['dynamodb:BatchWriteItem', 'ROSTER#1'],
    ]);
  });

  it('maps every Management API call to execute-api:ManageConnections on @connections', () => {
    for (const command of ['PostToConnectionCommand', 'GetConnectionCommand', 'DeleteConnectionCommand']) {
      expect(callsOf('ApiGatewayManagementApiClient', command, { ConnectionId: 'c' })).toEqual([
        {
          action: 'execute-api:ManageConnections',
          operation: command.replace('Command', ''),
          resource: '@connections',
        },
      ]);
    }
    expect(callsOf('SecretsManagerClient', 'GetSecretValueCommand', { SecretId: 'arn:x' })).toEqual([
      { action: 'secretsmanager:GetSecretValue', operation: 'GetSecretValue', resource: 'arn:x' },
    ]);
  });

  it('records a SendMessageBatch as sqs:SendMessage on the queue its URL names, as the template names it', () => {
    const url = 'http://127.0.0.1:4566/000000000000/scheduled-due';
    const [sent] = callsOf('SQSClient', 'SendMessageBatchCommand', { QueueUrl: url, Entries: [] });
    expect(sent).toEqual({ action: 'sqs:SendMessage', operation: 'SendMessageBatch', resource: url });
    const queueArn = { 'Fn::GetAtt': ['DueQueue1', 'Arn'] };
    const names = { table: 'Table1', queues: { DueQueue1: 'scheduled-due' } };
    const policy: FunctionPolicy[] = [
      { fn: 'ScheduledSweeper', statements: [...RUNTIME, allow('sqs:SendMessage', queueArn)] },
    ];
    const queueOf = (expr: unknown) => symbolicResource(expr, names);
    expect(queueOf(queueArn)).toBe('queue/scheduled-due');
    const ok = checkIam([{ fn: 'ScheduledSweeper', ...(sent as Omit<Call, 'fn'>) }], policy, queueOf);
    expect([...ok.missing, ...ok.unused]).toEqual([]);
    const other = { fn: 'ScheduledSweeper', ...(sent as Omit<Call, 'fn'>), resource: `${url}-other` };
    expect(checkIam([other], policy, queueOf).missing).toHaveLength(1);
  });
});
