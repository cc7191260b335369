/** What `feedpipe serve` reads of a config without loading it: trusted only for the exact bytes it was recorded from. */
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRecorded, record, RECORD_DIR, sourceDigest } from '../../src/config/recorded.js';

const settings = { output: 'public', server: { port: 9090, host: '::1', maxAge: 60 } };

async function site(text = 'site:\n  title: T\n  url: https://t.example.com/\n') {
  const root = await mkdtemp(path.join(tmpdir(), 'feedpipe-recorded-'));
  const file = path.join(root, 'feedpipe.config.yaml');
  await writeFile(file, text);
  return { root, file, bytes: Buffer.from(text) };
}

describe('the recorded serve settings', () => {
  it('are read back for the bytes they were recorded from, and only the settings serve needs are kept', async () => {
    const { root, file, bytes } = await site();
    await record(file, sourceDigest(bytes), { ...settings, site: { title: 'not kept' } } as typeof settings);
    expect(await readRecorded(file, bytes)).toEqual(settings);
    const [name] = await readdir(path.join(root, RECORD_DIR));
    expect(name).toMatch(/^serve-[0-9a-f]{16}\.json$/);
  });

  it('are not trusted for other bytes: an edited config is loaded again', async () => {
    const { file, bytes } = await site();
    await record(file, sourceDigest(bytes), settings);
    expect(await readRecorded(file, Buffer.concat([bytes, Buffer.from('output: elsewhere\n')]))).toBeUndefined();
  });

  it('are keyed by the config file: another config in the same folder has its own record', async () => {
    const { root, file, bytes } = await site();
    await record(file, sourceDigest(bytes), settings);
    expect(await readRecorded(path.join(root, 'other.yaml'), bytes)).toBeUndefined();
  });

  it('a damaged or partial record is ignored, never half used', async () => {
    const { root, file, bytes } = await site();
    await record(file, sourceDigest(bytes), settings);
    const [name] = await readdir(path.join(root, RECORD_DIR));
    const at = path.join(root, RECORD_DIR, name!);
    for (const body of ['{', 'null', JSON.stringify({ source: sourceDigest(bytes), output: 'public', server: { port: 70000, host: 'h', maxAge: 1 } }), JSON.stringify({ source: sourceDigest(bytes), output: 'public' })]) {
      await writeFile(at, body);
      expect(await readRecorded(file, bytes)).toBeUndefined();
    }
  });

  it('a folder that cannot be written is no error: the next serve loads the config', async () => {
    const { root, file, bytes } = await site();
    await writeFile(path.join(root, RECORD_DIR), 'a file where the folder would be');
    await expect(record(file, sourceDigest(bytes), settings)).resolves.toBeUndefined();
    expect(await readRecorded(file, bytes)).toBeUndefined();
  });
});
