#!/usr/bin/env node
/**
 * The CDK app: one ChatStack, configured from context (lib/context.ts lists the keys; keep them in
 * cdk.json's context, docs/deploy.md "Settings"), checked by cdk-nag's AwsSolutions pack at every
 * synth (`"nag": false` in cdk.json's context skips it). A setting the synth was given that cdk.json
 * does not hold (a `-c`, not remembered) is named in a warning.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ChatStack } from '../lib/chat-stack.ts';
import { settingsFromContext } from '../lib/context.ts';
import { warnSettingsNotInCdkJson } from '../lib/context-origin.ts';

const app = new App();
const settings = settingsFromContext(app.node);
const stack = new ChatStack(app, settings.stackName, {
  ...settings.props,
  description: 'Serverless chat: API Gateway WebSocket + Lambda + DynamoDB',
});
const cdkJson = JSON.parse(readFileSync(resolve(import.meta.dirname, '..', 'cdk.json'), 'utf8')) as {
  context?: Record<string, unknown>;
};
warnSettingsNotInCdkJson(stack, (key) => app.node.tryGetContext(key), cdkJson.context ?? {});
if (settings.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
