/** `npm run asyncapi`: (re)writes docs/asyncapi.yaml from the contract. */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { asyncApiYaml } from './generate.ts';

export const ASYNCAPI_PATH = resolve(import.meta.dirname, '../../docs/asyncapi.yaml');

writeFileSync(ASYNCAPI_PATH, asyncApiYaml());
process.stdout.write(`wrote ${ASYNCAPI_PATH}\n`);
