import {
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { parse as parseCsv } from 'csv-parse';
import type { ItemSource, Usage } from '../core';
import { failureOf } from '../core/failures';
import { outputsContext, resolveValue, TemplateError, type TemplateContext } from '../core/template';
import { keepHeartbeating } from './context';
import { itemsFromModel } from './itemsFromModel';
import { mapDir, mapFiles, writeAtomically } from './mapFiles';
import { stepEnvironment } from './secrets';
import { superviseProgram } from './shell';
import { Tail } from './tail';

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

/** Thrown for a source that cannot be read; the message says where (file, line). Not retried. */
function sourceError(message: string): ApplicationFailure {
  return ApplicationFailure.create(failureOf('ItemSourceError', `items: ${message}`));
}

/**
 * Reads a map's item source once, at the start of the map, into a spool file of one JSON item per
 * line plus an index of line offsets. The map then reads pages by index (`readItems`), so no
 * payload holds all the items, and a command or model is asked only once. A retry rewrites the
 * same spool from scratch; old results of an earlier map with this id are removed.
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
      const source = input.source;
      if (Array.isArray(source)) spool.addAll(source, 'the list');
      else if (typeof source === 'string') spool.addAll(templateItems(source, input.context), source);
      else if ('range' in source) {
        const [start, end, step = 1] = source.range;
        for (let n = start; n < end; n += step) spool.add(n, `range item ${n}`);
      } else if ('file' in source) await readFileItems(source.file, source.format, spool);
      else if ('command' in source) await readCommandItems(source, dir, spool);
      else {
        const answer = await itemsFromModel(source.llm, input.context);
        usage = answer.usage;
        spool.addAll(answer.items, 'the model answer');
      }
    } finally {
      spool.close();
    }
    return { dir, total: spool.count, usage };
  } finally {
    stopHeartbeats();
  }
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

/** Writes items as JSON lines with their offsets; the index gets one more offset: the end. */
class Spool {
  count = 0;
  private offset = 0;
  private readonly fd: number;
  private readonly offsets: number[] = [0];
  private pending: string[] = [];
  private pendingChars = 0;

  constructor(private readonly dir: string) {
    this.fd = openSync(mapFiles.items(dir), 'w');
  }

  add(item: unknown, where: string): void {
    if (item === undefined) throw sourceError(`${where} has no value`);
    const line = `${JSON.stringify(item)}\n`;
    if (line.length > MAX_ITEM_CHARS)
      throw sourceError(`${where} is ${line.length} characters, over ${MAX_ITEM_CHARS}: pass a path or an id instead`);
    this.offset += Buffer.byteLength(line);
    this.offsets.push(this.offset);
    this.pending.push(line);
    this.pendingChars += line.length;
    this.count++;
    if (this.pendingChars > 64 * 1024) this.flush();
  }

  addAll(items: unknown[], where: string): void {
    items.forEach((item, i) => this.add(item, `item ${i} of ${where}`));
  }

  private flush(): void {
    writeSync(this.fd, this.pending.join(''));
    this.pending = [];
    this.pendingChars = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
    const index = Buffer.alloc(8 * this.offsets.length);
    this.offsets.forEach((o, i) => index.writeDoubleLE(o, i * 8));
    writeAtomically(mapFiles.index(this.dir), index);
  }
}

function templateItems(template: string, context: TemplateContext | undefined): unknown[] {
  let value: unknown;
  try {
    value = resolveValue(template, context ?? outputsContext({}));
  } catch (err) {
    if (err instanceof TemplateError) throw sourceError(err.message);
    throw err;
  }
  if (!Array.isArray(value))
    throw sourceError(`${template} is ${value === null ? 'null' : typeof value}, not a list: point it at a JSON array`);
  return value;
}

async function readFileItems(file: string, format: 'json' | 'jsonl' | 'csv' | undefined, spool: Spool): Promise<void> {
  if (!existsSync(file)) throw sourceError(`file ${file} not found (relative paths are from the worker's directory)`);
  const kind = format ?? ({ '.csv': 'csv', '.jsonl': 'jsonl', '.ndjson': 'jsonl' } as const)[extname(file)] ?? 'json';
  if (kind === 'json') return spool.addAll(jsonArrayFile(file, file), file);
  if (kind === 'csv') {
    const rows = createReadStream(file).pipe(parseCsv({ columns: true, bom: true, skip_empty_lines: true }));
    try {
      for await (const row of rows) spool.add(row, `${file} row ${spool.count + 1}`);
    } catch (err) {
      if (err instanceof ApplicationFailure) throw err;
      throw sourceError(`${file}: ${(err as Error).message}`);
    }
    return;
  }
  await eachLine(file, (text, line) => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw sourceError(`${file} line ${line} is not JSON: ${(err as Error).message}`);
    }
    spool.add(value, `${file} line ${line}`);
  });
}

/** A file holding one JSON array; `what` names it in errors. */
function jsonArrayFile(file: string, what: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw sourceError(`${what} is not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(value)) throw sourceError(`${what} holds a JSON ${typeof value}, not an array`);
  return value;
}

/** Calls `fn` with each non-blank line of a file and its 1-based number, streaming. */
async function eachLine(file: string, fn: (text: string, line: number) => void): Promise<void> {
  let line = 0;
  for await (const text of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    line++;
    if (text.trim()) fn(text, line);
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
  if (firstChar(stdoutFile) === '[') spool.addAll(jsonArrayFile(stdoutFile, what), what);
  else await eachLine(stdoutFile, (text, line) => spool.add(text, `line ${line} of ${what}`));
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
