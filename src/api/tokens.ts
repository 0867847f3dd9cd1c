import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PtqError } from '../errors';

/**
 * True when a bearer token given by a caller is the expected one. Both are hashed first, so the
 * comparison takes the same time whatever the tokens' lengths and wherever they first differ.
 */
export function sameToken(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * A server's token from a file, trimmed: a flag that names a file (or an environment variable)
 * keeps the token out of `ps`, where a flag holding the token itself shows it to every user.
 */
export function readTokenFile(file: string): string {
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch {
    throw new PtqError(`cannot read token file ${file}`, undefined, 'check the path');
  }
  if (!token) throw new PtqError(`token file ${file} is empty`, undefined, 'put a long random string in it');
  return token;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
