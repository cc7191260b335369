/**
 * What `feedpipe serve` needs of a config (the output folder, port, host and max-age), recorded
 * beside the config after a full load, keyed by the config file's bytes. Serve reads the record
 * back and so loads neither the YAML parser nor the schema; any other bytes (an edited config,
 * a damaged record) mean a full load, which records again. This module imports neither.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeAtomically } from '../util/atomic.js';
import { sha256 } from '../util/hash.js';

export interface ServeSettings {
  /** `output` as written in the config (relative to the config's folder) or its default. */
  output: string;
  server: { port: number; host: string; maxAge: number };
}

interface Record extends ServeSettings {
  /** sha256 of the config file's bytes the settings were read from. */
  source: string;
}

/** The record's folder: the build cache's, beside the config. */
export const RECORD_DIR = '.feedpipe-cache';

function recordFileFor(configFile: string): string {
  const file = path.resolve(configFile);
  return path.join(path.dirname(file), RECORD_DIR, `serve-${sha256(file).slice(0, 16)}.json`);
}

/** The digest a record is keyed by: of the exact bytes a load parsed. */
export function sourceDigest(text: string | Buffer): string {
  return sha256(text);
}

const isPort = (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535;

/** The recorded settings if they were read from exactly `bytes`; otherwise undefined (load the config). */
export async function readRecorded(configFile: string, bytes: Buffer): Promise<ServeSettings | undefined> {
  let record: Partial<Record>;
  try {
    record = JSON.parse(await readFile(recordFileFor(configFile), 'utf8')) as Partial<Record>;
  } catch {
    return undefined;
  }
  const server = record?.server;
  const whole =
    record?.source === sourceDigest(bytes) &&
    typeof record.output === 'string' &&
    isPort(server?.port) &&
    typeof server?.host === 'string' &&
    Number.isInteger(server?.maxAge) &&
    server!.maxAge >= 0;
  return whole ? { output: record.output!, server: { port: server!.port, host: server!.host, maxAge: server!.maxAge } } : undefined;
}

/** Records what serve needs of a config loaded from bytes whose digest is `source`. Best effort: a folder that cannot be written costs only the next serve a full load. */
export async function record(configFile: string, source: string, settings: ServeSettings): Promise<void> {
  const file = recordFileFor(configFile);
  const body: Record = { source, output: settings.output, server: { port: settings.server.port, host: settings.server.host, maxAge: settings.server.maxAge } };
  try {
    await writeAtomically(file, Buffer.from(JSON.stringify(body) + '\n'), { durable: false });
  } catch {
    // not recorded; see above
  }
}
