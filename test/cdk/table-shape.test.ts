/**
 * The table's create-only shape, pinned. CloudFormation replaces an `AWS::DynamoDB::Table` whose
 * `KeySchema` or `LocalSecondaryIndexes` change (a local index exists only if it is created with
 * the table), and it creates a new table when the table's logical id changes: either way a deploy
 * starts on an empty table. The stack retains the old one (RETAIN, deletion protection), so nothing
 * is deleted, but every chat, message and account is left in a table the functions no longer use.
 * A change here needs a new stack and a data export/import (docs/deploy.md, "Changing the table"),
 * never an in-place update; update this test only with that migration.
 */
import { describe, expect, it } from 'vitest';
import { logicalId, useSynth } from './support.ts';

const { s, resources } = useSynth();

/** The shape every deployed table has had since its local indexes (commit 35c0925, 2026-12-01). */
const CREATE_ONLY = {
  logicalId: 'Table710B521B',
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  LocalSecondaryIndexes: ['lsi1', 'lsi2'].map((name) => ({
    IndexName: name,
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: `${name}sk`, KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: 'KEYS_ONLY' },
  })),
  /** The key attributes' types (an attribute's type is part of its key). */
  keyTypes: { pk: 'S', sk: 'S', lsi1sk: 'S', lsi2sk: 'S' },
};

const WHY =
  'changing the table’s logical id, key schema or local indexes makes CloudFormation create a new, ' +
  'empty table (the old one is retained with all the data): that needs a new stack and a data ' +
  'export/import (docs/deploy.md, "Changing the table"), not a deploy';

describe('the table’s create-only shape', { timeout: 180_000 }, () => {
  it('keeps its logical id, key schema, local indexes and their projection', () => {
    const id = logicalId(s.stack, s.stack.table.table);
    expect(id, WHY).toBe(CREATE_ONLY.logicalId);
    const props = resources[id]?.Properties ?? {};
    expect(props.KeySchema, WHY).toEqual(CREATE_ONLY.KeySchema);
    expect(props.LocalSecondaryIndexes, WHY).toEqual(CREATE_ONLY.LocalSecondaryIndexes);
    const types = Object.fromEntries(
      (props.AttributeDefinitions as { AttributeName: string; AttributeType: string }[])
        .filter((a) => a.AttributeName in CREATE_ONLY.keyTypes)
        .map((a) => [a.AttributeName, a.AttributeType]),
    );
    expect(types, WHY).toEqual(CREATE_ONLY.keyTypes);
  });
});
