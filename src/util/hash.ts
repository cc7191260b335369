import { createHash } from 'node:crypto';

/** The hex sha256 of a string's UTF-8, of bytes, or of chunks of bytes taken in order. */
export function sha256(data: string | Buffer | readonly Buffer[]): string {
  const hash = createHash('sha256');
  if (Array.isArray(data)) for (const chunk of data as readonly Buffer[]) hash.update(chunk);
  else hash.update(data as string | Buffer);
  return hash.digest('hex');
}
