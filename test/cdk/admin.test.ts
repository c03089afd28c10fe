/**
 * Administrators on AWS: in Cognito mode the stack creates the `admin` group in its user pool (its
 * members' tokens carry `cognito:groups`), and the `rolesClaim` setting (CDK context) reaches the
 * `$connect` authorizer as `ROLES_CLAIM`; without it the authorizer reads the defaults.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ChatStack } from '../../lib/chat-stack.ts';
import { settingsFromContext } from '../../lib/context.ts';
import { logicalId, synth, testApp } from './support.ts';

const authorizerEnv = (stack: ChatStack, template: Template): Record<string, string> => {
  const fn = template.toJSON().Resources[logicalId(stack, stack.chatApi.authorizerFunction.function)];
  return fn.Properties.Environment.Variables;
};

/** A stack whose props come from CDK context, as bin/app.ts builds it. */
function fromContext(context: Record<string, unknown>): { stack: ChatStack; template: Template } {
  const app = testApp(context);
  const settings = settingsFromContext(app.node);
  const stack = new ChatStack(app, 'AdminTest', settings.props);
  return { stack, template: Template.fromStack(stack) };
}

describe('administrators', { timeout: 180_000 }, () => {
  it('cognito mode: the stack creates the admin group in its own user pool', () => {
    const s = synth();
    const groups = Object.values(s.template.findResources('AWS::Cognito::UserPoolGroup'));
    expect(groups).toHaveLength(1);
    expect(groups[0]?.Properties.GroupName).toBe('admin');
    const pool = s.stack.auth.userPool;
    if (!pool) throw new Error('cognito mode has a user pool');
    expect(groups[0]?.Properties.UserPoolId).toEqual({ Ref: logicalId(s.stack, pool) });
  });

  it('other token modes create no group (the issuer owns its users)', () => {
    const s = synth({ auth: { mode: 'hs256' } });
    s.template.resourceCountIs('AWS::Cognito::UserPoolGroup', 0);
  });

  it('the rolesClaim context setting reaches the authorizer as ROLES_CLAIM; unset, the defaults apply', () => {
    const configured = fromContext({ rolesClaim: 'https://example.com/roles,groups' });
    expect(authorizerEnv(configured.stack, configured.template).ROLES_CLAIM).toBe(
      'https://example.com/roles,groups',
    );
    // Only the authorizer reads tokens: no route function gets the setting.
    for (const fn of configured.stack.chatApi.functions.values()) {
      const env =
        configured.template.toJSON().Resources[logicalId(configured.stack, fn.function)].Properties
          .Environment.Variables;
      expect(env.ROLES_CLAIM, fn.node.id).toBeUndefined();
    }
    const plain = fromContext({});
    expect(authorizerEnv(plain.stack, plain.template).ROLES_CLAIM).toBeUndefined();
  });
});
