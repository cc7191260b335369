import { rm } from 'node:fs/promises';
import { afterAll } from 'vitest';
import { madeSites } from './site.js';

// Every test file gets its own sites; they go when the file's tests are done.
afterAll(async () => {
  await Promise.all(madeSites.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});
