// `node --import ./record-loads.mjs ...` appends the URL of every module the process resolves
// to the file named by FEEDPIPE_LOAD_LOG (test/cli/loading.test.ts reads it).
import { register } from 'node:module';

register('./load-hooks.mjs', import.meta.url, { data: { file: process.env.FEEDPIPE_LOAD_LOG } });
