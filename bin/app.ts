#!/usr/bin/env node
/** The CDK app. The stack itself is built in lib/. */
import { App } from 'aws-cdk-lib';

const app = new App();
app.synth();
