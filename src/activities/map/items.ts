import {
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure, TemporalFailure } from '@temporalio/common';
import { parse as parseCsv } from 'csv-parse';
import type { ItemSource, Usage } from '../../core';
import { MAX_MAP_ITEMS, MAX_SPOOL_BYTES } from '../../core/plan/limits';
import { failureOf } from '../../core/failures';
import {
  outputsContext,
  resolveString,
  resolveValue,
  TemplateError,
  type TemplateContext,
} from '../../core/plan/template';
import { keepHeartbeating } from '../steps/stepResult';
import { itemsFromModel } from './itemsFromModel';
import { mapDir, mapFiles, tempFor } from './mapFiles';
import { secretValues } from '../../workerSecrets';
import { mask, maskValue, stepEnvironment } from '../steps/secrets';
import { superviseProgram } from '../steps/shell';
import { Tail } from '../steps/tail';

/** A map's items, spooled: how many, where, and what finding them cost (llm sources). */
export interface OpenedItems {
  dir: string;
  total: number;
  usage?: Usage;
}

/** Largest single item: items travel in activity inputs, which Temporal caps at 2 MB. */
const MAX_ITEM_CHARS = 256 * 1024;
/** Most JSON one page of items may hold. */
const PAGE_CHARS = 256 * 1024;

/** A JSON array is parsed in one piece; JSON.parse takes about a quarter of a second for this much. */
const MAX_JSON_ARRAY_BYTES = 16 * 1024 * 1024;
const MB = 1024 * 1024;

/**
 * Thrown for a source that cannot be read; the message says where (file, line). Not retried. It may
 * quote the source (a parse error does), so secrets are masked.
 */
function sourceError(message: string): ApplicationFailure {
  return ApplicationFailure.create(failureOf('ItemSourceError', mask(`items: ${message}`)));
}

/**
 * Reads a map's item source once, at the start of the map, into a spool file of one JSON item per
 * line plus an index of line offsets. The map then reads pages by index (`readItems`), so no
 * payload holds all the items, and a command or model is asked only once. A retry rewrites the
 * same spool from scratch; old results of an earlier map with this id are removed. The spool is
 * written in slices that give the event loop back, so the worker's other activities keep
 * heartbeating, and a cancel (or a run that is gone) stops it between slices. Secrets are masked
 * in every item: items reach the map's history, its results and its summary.
 */
export async function openItems(input: {
  /** The map's workflow id: its folder. */
  mapId: string;
  source: ItemSource;
  context?: TemplateContext;
}): Promise<OpenedItems> {
  const dir = mapDir(input.mapId);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const stopHeartbeats = keepHeartbeating();
  try {
    const spool = new Spool(dir);
    let usage: Usage | undefined;
    try {
      const source = resolvedSource(input.source, input.context);
      if (Array.isArray(source)) await spool.addAll(source, 'the list');
      else if (typeof source === 'string') await spool.addAll(templateItems(source, input.context), source);
      else if ('range' in source) await spool.addAll(range(source.range), 'the range');
      else if ('file' in source) await readFileItems(source.file, source.format, spool);
      else if ('command' in source) await readCommandItems(source, dir, spool);
      else {
        const answer = await itemsFromModel(source.llm, input.context);
        usage = answer.usage;
        await spool.addAll(answer.items, 'the model answer');
      }
    } finally {
      spool.close();
    }
    return { dir, total: spool.count, usage };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  } finally {
    stopHeartbeats();
  }
}

/** The numbers of a `range` source, one at a time (the schema bounds how many). */
function* range([start, end, step = 1]: number[]): Generator<number> {
  for (let n = start; n < end; n += step) yield n;
}

/** Items `[from, from + max)`, fewer if they would pass PAGE_CHARS (at least one). */
export async function readItems(input: { dir: string; from: number; max: number }): Promise<unknown[]> {
  const { dir, from, max } = input;
  const index = openSync(mapFiles.index(dir), 'r');
  const offsets = Buffer.alloc(8 * (max + 1));
  const read = readSync(index, offsets, 0, offsets.length, from * 8);
  closeSync(index);
  const n = read / 8;
  if (n < 2) return [];
  let last = n - 1;
  const at = (i: number) => offsets.readDoubleLE(i * 8);
  while (last > 1 && at(last) - at(0) > PAGE_CHARS) last--;
  const bytes = Buffer.alloc(at(last) - at(0));
  const items = openSync(mapFiles.items(dir), 'r');
  readSync(items, bytes, 0, bytes.length, at(0));
  closeSync(items);
  return bytes
    .toString('utf8')
    .split('\n')
    .slice(0, last)
    .map((line) => JSON.parse(line) as unknown);
}

/** Items or bytes written between two returns to the event loop: a few milliseconds of work. */
const SLICE_ITEMS = 2_000;
const SLICE_BYTES = 1024 * 1024;

/**
 * Writes items as JSON lines, and their offsets to the index; the index gets one more offset: the
 * end. Both go to disk a slice at a time, so a million items are never all in memory; the index is
 * written beside its place and renamed into it at the end (readers see it whole or not at all).
 * Refuses a source past MAX_MAP_ITEMS or MAX_SPOOL_BYTES. Callers `await breathe()` when `due()`,
 * which writes what is pending, yields to the event loop and throws if the activity was cancelled.
 */
class Spool {
  count = 0;
  private offset = 0;
  private readonly fd: number;
  private readonly indexFile: string;
  private readonly indexFd: number;
  private offsets: number[] = [0];
  private pending: string[] = [];
  private pendingBytes = 0;
  private sliceItems = 0;
  private readonly secrets = secretValues();

  constructor(private readonly dir: string) {
    this.fd = openSync(mapFiles.items(dir), 'w');
    this.indexFile = tempFor(mapFiles.index(dir));
    this.indexFd = openSync(this.indexFile, 'w');
  }

  /** `where` names the item in an error; it is a function so that a million items build no strings. */
  add(item: unknown, where: () => string): void {
    if (item === undefined) throw sourceError(`${where()} has no value`);
    if (this.count >= MAX_MAP_ITEMS)
      throw sourceError(`more than ${MAX_MAP_ITEMS.toLocaleString('en-US')} items: split the source into several maps`);
    const line = `${JSON.stringify(maskValue(item, this.secrets))}\n`;
    if (line.length > MAX_ITEM_CHARS)
      throw sourceError(
        `${where()} is ${line.length} characters, over ${MAX_ITEM_CHARS}: pass a path or an id instead`,
      );
    const bytes = Buffer.byteLength(line);
    this.offset += bytes;
    if (this.offset > MAX_SPOOL_BYTES)
      throw sourceError(`items pass ${MAX_SPOOL_BYTES / MB} MB: pass paths or ids instead, or split the source`);
    this.offsets.push(this.offset);
    this.pending.push(line);
    this.pendingBytes += bytes;
    this.sliceItems++;
    this.count++;
  }

  /** Adds a list's items, giving the event loop back between slices. */
  async addAll(items: Iterable<unknown>, where: string): Promise<void> {
    let i = 0;
    for (const item of items) {
      const n = i++;
      this.add(item, () => `item ${n} of ${where}`);
      if (this.due()) await this.breathe();
    }
  }

  /** Whether a slice of work is done and the event loop should get a turn. */
  due(): boolean {
    return this.sliceItems >= SLICE_ITEMS || this.pendingBytes >= SLICE_BYTES;
  }

  /** Writes what is pending, lets timers and I/O run (heartbeats), and stops on a cancel. */
  async breathe(): Promise<void> {
    this.flush();
    this.sliceItems = 0;
    await new Promise((resolve) => setImmediate(resolve));
    if (Context.current().cancellationSignal.aborted) throw new CancelledFailure('item source cancelled');
  }

  private flush(): void {
    if (this.pending.length > 0) writeSync(this.fd, this.pending.join(''));
    this.pending = [];
    this.pendingBytes = 0;
    const index = Buffer.alloc(8 * this.offsets.length);
    this.offsets.forEach((o, i) => index.writeDoubleLE(o, i * 8));
    writeSync(this.indexFd, index);
    this.offsets = [];
  }

  /** Writes what is left and puts the index in place (a failed source's folder is removed anyway). */
  close(): void {
    try {
      this.flush();
    } finally {
      closeSync(this.fd);
      closeSync(this.indexFd);
    }
    renameSync(this.indexFile, mapFiles.index(this.dir));
  }
}

/** Fills in templates, with a template that does not resolve as the source's failure. */
function resolved<T>(fill: (context: TemplateContext) => T, context: TemplateContext | undefined): T {
  try {
    return fill(context ?? outputsContext({}));
  } catch (err) {
    if (err instanceof TemplateError) throw sourceError(err.message);
    throw err;
  }
}

/**
 * A `file` or `command` source with its templates filled in: the path, and each argument of the
 * command on its own (the program gets them as argv, never through a shell).
 */
function resolvedSource(source: ItemSource, context: TemplateContext | undefined): ItemSource {
  if (typeof source !== 'object' || Array.isArray(source)) return source;
  const text = (t: string) => resolved((c) => resolveString(t, c), context);
  if ('file' in source) return { ...source, file: text(source.file) };
  if (!('command' in source)) return source;
  return { ...source, command: source.command.map(text), ...(source.cwd ? { cwd: text(source.cwd) } : {}) };
}

function templateItems(template: string, context: TemplateContext | undefined): unknown[] {
  const value = resolved((c) => resolveValue(template, c), context);
  if (!Array.isArray(value))
    throw sourceError(`${template} is ${value === null ? 'null' : typeof value}, not a list: point it at a JSON array`);
  return value;
}

async function readFileItems(file: string, format: 'json' | 'jsonl' | 'csv' | undefined, spool: Spool): Promise<void> {
  if (!existsSync(file)) throw sourceError(`file ${file} not found (relative paths are from the worker's directory)`);
  const kind = format ?? ({ '.csv': 'csv', '.jsonl': 'jsonl', '.ndjson': 'jsonl' } as const)[extname(file)] ?? 'json';
  if (statSync(file).size > MAX_SPOOL_BYTES)
    throw sourceError(`file ${file} is over ${MAX_SPOOL_BYTES / MB} MB: split it into several maps`);
  if (kind === 'json') return spool.addAll(jsonArrayFile(file, file, 'write one item a line (.jsonl)'), file);
  if (kind === 'csv') {
    const rows = createReadStream(file).pipe(parseCsv({ columns: true, bom: true, skip_empty_lines: true }));
    try {
      for await (const row of rows) {
        spool.add(row, () => `${file} row ${spool.count + 1}`);
        if (spool.due()) await spool.breathe();
      }
    } catch (err) {
      if (err instanceof TemporalFailure) throw err;
      throw sourceError(`${file}: ${(err as Error).message}`);
    }
    return;
  }
  await spoolLines(file, file, spool, (text, line) => {
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw sourceError(`${file} line ${line} is not JSON: ${(err as Error).message}`);
    }
  });
}

/**
 * A file holding one JSON array; `what` names it in errors. It is parsed in one piece, which holds
 * the event loop: past MAX_JSON_ARRAY_BYTES (about a quarter of a second of parsing) it is refused,
 * and `instead` says what to write.
 */
function jsonArrayFile(file: string, what: string, instead: string): unknown[] {
  if (statSync(file).size > MAX_JSON_ARRAY_BYTES)
    throw sourceError(`${what} is a JSON array over ${MAX_JSON_ARRAY_BYTES / MB} MB: ${instead}`);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw sourceError(`${what} is not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(value)) throw sourceError(`${what} holds a JSON ${typeof value}, not an array`);
  return value;
}

/** Spools `item(text, line)` of each non-blank line of a file (1-based numbers), streaming; `what` names the file. */
async function spoolLines(
  file: string,
  what: string,
  spool: Spool,
  item: (text: string, line: number) => unknown,
): Promise<void> {
  let line = 0;
  for await (const text of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    const n = ++line;
    if (!text.trim()) continue;
    spool.add(item(text, n), () => `line ${n} of ${what}`);
    if (spool.due()) await spool.breathe();
  }
}

/** A command's stdout, through a file (it may be large): a JSON array, or one item a line. */
async function readCommandItems(
  source: { command: string[]; cwd?: string; timeout?: number },
  dir: string,
  spool: Spool,
): Promise<void> {
  const stdoutFile = `${dir}/command.out`;
  const fd = openSync(stdoutFile, 'w');
  const err = new Tail();
  const exit = await superviseProgram(source.command, {
    cwd: source.cwd,
    env: stepEnvironment({}),
    timeout: source.timeout,
    stdoutFd: fd,
    onStderr: (c) => err.push(c),
  }).finally(() => closeSync(fd));
  const name = source.command[0];
  if (exit.stopped === 'cancelled') throw new CancelledFailure('item source command cancelled; process group killed');
  if (exit.stopped === 'timeout') throw sourceError(`command ${name} timed out after ${source.timeout}ms`);
  if (exit.code !== 0) throw sourceError(`command ${name} failed (${exit.why}): ${err.lastLine()}`);
  const what = `the output of command ${name}`;
  if (statSync(stdoutFile).size > MAX_SPOOL_BYTES)
    throw sourceError(`${what} is over ${MAX_SPOOL_BYTES / MB} MB: split the source into several maps`);
  if (firstChar(stdoutFile) === '[')
    await spool.addAll(jsonArrayFile(stdoutFile, what, 'print one item a line instead'), what);
  else await spoolLines(stdoutFile, what, spool, (text) => text);
  rmSync(stdoutFile, { force: true });
}

/** The first non-blank character of a file. */
function firstChar(file: string): string | undefined {
  const fd = openSync(file, 'r');
  const head = Buffer.alloc(4096);
  const n = readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  return head.subarray(0, n).toString('utf8').trimStart()[0];
}
