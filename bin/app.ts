#!/usr/bin/env node
/**
 * The CDK app: one ChatStack, configured from context (lib/context.ts lists the keys), checked by
 * cdk-nag's AwsSolutions pack at every synth (`"nag": false` in cdk.json's context skips it).
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ChatStack } from '../lib/chat-stack.ts';
import { settingsFromContext } from '../lib/context.ts';

const app = new App();
const settings = settingsFromContext(app.node);
new ChatStack(app, settings.stackName, {
  ...settings.props,
  description: 'Serverless chat: API Gateway WebSocket + Lambda + DynamoDB',
});
if (settings.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
