/**
 * `ChatTable.grantActions` with `partitionsByAction` (lib/chat-table.ts): each item action limited to
 * its own `dynamodb:LeadingKeys` patterns, actions with the same patterns in one statement, and a
 * definition that leaves an action without patterns (or names one it does not grant) refused.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { ChatTable } from '../../lib/chat-table.ts';
import { leadingKeysByAction, type Statement } from './support.ts';

function granted(...args: Parameters<ChatTable['grantActions']> extends [unknown, ...infer R] ? R : never) {
  const stack = new Stack(new App(), 'Grants');
  const table = new ChatTable(stack, 'Table', { destroyable: true });
  const role = new Role(stack, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  table.grantActions(role, ...args);
  const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
  const statements = Object.values(policies).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
        .Statement,
  );
  return { statements, table: stack.resolve(table.table.tableArn) };
}

describe('grantActions with partitionsByAction', () => {
  it('limits each item action to its own patterns, one statement per set of patterns', () => {
    const { statements, table } = granted(
      ['dynamodb:DeleteItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:Query:gsi1'],
      {
        partitionsByAction: {
          'dynamodb:DeleteItem': ['USER#*', 'ROSTER#*'],
          'dynamodb:UpdateItem': ['LIMIT#*'],
          'dynamodb:Query': ['ROSTER#*', 'USER#*'],
        },
      },
    );
    expect(leadingKeysByAction(statements, table)).toEqual({
      'dynamodb:DeleteItem': ['ROSTER#*', 'USER#*'],
      'dynamodb:Query': ['ROSTER#*', 'USER#*'],
      'dynamodb:UpdateItem': ['LIMIT#*'],
    });
    const onTable = statements.filter((st) => JSON.stringify(st.Resource) === JSON.stringify(table));
    expect(onTable).toHaveLength(2);
  });

  it('refuses an item action without patterns, and patterns for an action it does not grant', () => {
    expect(() =>
      granted(['dynamodb:DeleteItem', 'dynamodb:GetItem'], {
        partitionsByAction: { 'dynamodb:DeleteItem': ['USER#*'] },
      }),
    ).toThrow('partitionsByAction has no partitions for dynamodb:GetItem');
    expect(() =>
      granted(['dynamodb:DeleteItem'], {
        partitionsByAction: { 'dynamodb:DeleteItem': ['USER#*'], 'dynamodb:PutItem': ['CHAT#*'] },
      }),
    ).toThrow('partitionsByAction names dynamodb:PutItem, which the actions do not grant');
  });
});
