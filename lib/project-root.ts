/**
 * The repository root: handler entries in the route table are relative to it. A module of its own, so
 * that what needs only the root (the docs' tests, scripts) does not load aws-cdk-lib with
 * lib/chat-function.ts (1 to 4 s of a test file's import on a busy machine).
 */
import { resolve } from 'node:path';

export const PROJECT_ROOT = resolve(import.meta.dirname, '..');
