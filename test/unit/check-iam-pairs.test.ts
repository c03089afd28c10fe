/**
 * The IAM check (scripts/iam-check.ts) on statements with a `dynamodb:LeadingKeys` condition: each
 * (action, key pattern) pair of such a statement is a grant of its own, used only by a recorded call
 * of that action on a key the pattern matches. One statement `DeleteItem, UpdateItem` on
 * `[USER#*, ROSTER#*, LIMIT#*]` with only a `DeleteItem` on `USER#` and an `UpdateItem` on `LIMIT#`
 * recorded holds four grants nobody uses.
 */
import { describe, expect, it } from 'vitest';
import {
  type AllowListEntry,
  type Call,
  checkIam,
  type FunctionPolicy,
  type Statement,
  symbolicResource,
} from '../../scripts/iam-check.ts';

const TABLE = { 'Fn::GetAtt': ['Table1', 'Arn'] };
const resourceOf = (expr: unknown) => symbolicResource(expr, { table: 'Table1' });
const onKeys = (Action: string[], patterns: string[], operator = 'ForAllValues:StringLike'): Statement => ({
  Effect: 'Allow',
  Action,
  Resource: TABLE,
  Condition: { [operator]: { 'dynamodb:LeadingKeys': patterns } },
});
const call = (action: string, leadingKey: string): Call => ({
  fn: 'FanOutWorker',
  action,
  operation: action.split(':')[1] ?? action,
  table: 't',
  leadingKey,
});
const worker = (...statements: Statement[]): FunctionPolicy[] => [{ fn: 'FanOutWorker', statements }];

describe('checkIam: a LeadingKeys statement is a grant per (action, key pattern)', () => {
  const broad = worker(
    onKeys(['dynamodb:DeleteItem', 'dynamodb:UpdateItem'], ['USER#*', 'ROSTER#*', 'LIMIT#*']),
  );
  const recorded = [call('dynamodb:DeleteItem', 'USER#u1'), call('dynamodb:UpdateItem', 'LIMIT#u1')];

  it('reports each pair no call uses, though every action and every pattern is used by some call', () => {
    const report = checkIam(recorded, broad, resourceOf);
    expect(report.missing).toEqual([]);
    expect(report.unused).toEqual([
      'FanOutWorker: dynamodb:DeleteItem on table for ROSTER#* is granted but never used',
      'FanOutWorker: dynamodb:DeleteItem on table for LIMIT#* is granted but never used',
      'FanOutWorker: dynamodb:UpdateItem on table for USER#* is granted but never used',
      'FanOutWorker: dynamodb:UpdateItem on table for ROSTER#* is granted but never used',
    ]);
  });

  it('passes once the grants pair each action with the prefixes its calls use', () => {
    const narrow = worker(
      onKeys(['dynamodb:DeleteItem'], ['USER#*']),
      onKeys(['dynamodb:UpdateItem'], ['LIMIT#*']),
    );
    const report = checkIam(recorded, narrow, resourceOf);
    expect([...report.missing, ...report.unused]).toEqual([]);
  });

  it('matches StringEquals patterns exactly (a constant partition key)', () => {
    const sweeper = worker(onKeys(['dynamodb:GetItem'], ['SWEEP', 'USER#*'], 'ForAllValues:StringEquals'));
    expect(checkIam([call('dynamodb:GetItem', 'SWEEP')], sweeper, resourceOf).unused).toEqual([
      'FanOutWorker: dynamodb:GetItem on table for USER#* is granted but never used',
    ]);
  });

  it('keeps an unused pair only through an allow-list entry naming that pattern', () => {
    const entry: AllowListEntry = {
      fn: 'FanOutWorker',
      action: 'dynamodb:DeleteItem',
      resource: 'table',
      leadingKey: 'ROSTER#*',
      reason: 'a rare path',
    };
    const wholeGrant: AllowListEntry = {
      fn: 'FanOutWorker',
      action: 'dynamodb:DeleteItem',
      resource: 'table',
      reason: 'names no pattern: keeps no pair',
    };
    const report = checkIam(recorded, broad, resourceOf, [entry, wholeGrant]);
    expect(report.unused).not.toContain(
      'FanOutWorker: dynamodb:DeleteItem on table for ROSTER#* is granted but never used',
    );
    expect(report.unused).toContain(
      'FanOutWorker: dynamodb:DeleteItem on table for LIMIT#* is granted but never used',
    );
    expect(report.allowListed).toEqual([
      'FanOutWorker: dynamodb:DeleteItem on table for ROSTER#* — a rare path',
    ]);
    expect([...report.usedAllowList]).toEqual([entry]);
  });
});
