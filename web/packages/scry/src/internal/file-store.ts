/**
 * `storage: 'file'` in Node.js: an index in a directory, one file per key, in the layout of
 * scry-core's native `FileStorage` (the `scry` CLI reads what Node writes and the other way
 * round). Commits are atomic through the same journal: the batch's files and an op list are
 * written and synced under `.journal/`, the op list is renamed to `COMMITTED` (the commit
 * point), then applied; an interrupted apply is finished, and an unmarked journal discarded,
 * the next time the directory is opened.
 *
 * One engine writes a directory at a time: `.lock` holds the writer's process id and host.
 * A lock whose process is gone (a crash, `kill -9`) is taken over.
 */

import { ScryError } from '../public/errors.js';
import { errorCode } from './error-code.js';

const JOURNAL = '.journal';
const COMMITTED = 'COMMITTED';
/** Names of the files a commit writes in the journal (nothing else there is deleted). */
const JOURNAL_FILE = /^(\d+|ops|COMMITTED)$/;
const LOCK = '.lock';

/** The slice of `node:fs/promises` used here. */
interface Fs {
  mkdir(path: string, options: { recursive: true }): Promise<unknown>;
  readFile(path: string): Promise<Uint8Array>;
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  writeFile(path: string, data: string, options: { flag: 'wx' }): Promise<void>;
  link(existing: string, path: string): Promise<void>;
  readdir(path: string, options: { withFileTypes: true }): Promise<DirEntry[]>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
  lstat(path: string): Promise<{ isDirectory(): boolean }>;
  open(path: string, flags: string): Promise<FileHandle>;
}

interface DirEntry {
  name: string;
  isDirectory(): boolean;
  isFile(): boolean;
}

interface FileHandle {
  writeFile(data: Uint8Array | string): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

interface NodeApis {
  fs: Fs;
  join: (...parts: string[]) => string;
  dirname: (path: string) => string;
  resolve: (path: string) => string;
  hostname: () => string;
  pid: number;
  /** Whether process `pid` exists on this host. */
  alive: (pid: number) => boolean;
}

let apis: Promise<NodeApis> | undefined;

/** The directories this process holds the lock of. */
const HELD = new Set<string>();

function nodeApis(): Promise<NodeApis> {
  apis ??= (async () => {
    // Variable specifiers keep browser bundlers from resolving Node built-ins.
    const [fsName, pathName, osName] = ['node:fs/promises', 'node:path', 'node:os'];
    const fs = (await import(/* @vite-ignore */ /* webpackIgnore: true */ fsName)) as Fs;
    const path = (await import(/* @vite-ignore */ /* webpackIgnore: true */ pathName)) as Pick<
      NodeApis,
      'join' | 'dirname' | 'resolve'
    >;
    const os = (await import(/* @vite-ignore */ /* webpackIgnore: true */ osName)) as {
      hostname: () => string;
    };
    const proc = (
      globalThis as unknown as { process: { pid: number; kill(pid: number, signal: 0): void } }
    ).process;
    return {
      fs,
      join: path.join,
      dirname: path.dirname,
      resolve: path.resolve,
      hostname: os.hostname,
      pid: proc.pid,
      alive: (pid: number) => {
        try {
          proc.kill(pid, 0);
          return true;
        } catch (e) {
          // EPERM: it exists but belongs to someone else.
          return errorCode(e) === 'EPERM';
        }
      },
    };
  })();
  return apis;
}

function errno(e: unknown): string | undefined {
  const code = errorCode(e);
  return typeof code === 'string' ? code : undefined;
}

/** A file-system failure as a typed storage error. */
function storageError(what: string, e: unknown): ScryError {
  const code = errno(e);
  const full = code === 'ENOSPC' || code === 'EDQUOT';
  return new ScryError(
    full ? 'STORAGE_QUOTA_EXCEEDED' : 'STORAGE_FAILED',
    `${what}: ${String((e as { message?: unknown } | null)?.message ?? e)}`,
    { cause: e },
  );
}

/**
 * The key rule of scry-core's `check_key`, for what is read from disk: the journal's lines and
 * the files `list` finds (keys from wasm arrive checked).
 */
function validKey(key: string): boolean {
  return (
    key.length > 0 &&
    key.length <= 200 &&
    !key.startsWith('/') &&
    !key.startsWith('.') &&
    !key.includes('..') &&
    /^[a-z0-9._/-]+$/.test(key)
  );
}

function checkKey(key: string): void {
  if (!validKey(key)) {
    throw new ScryError('STORAGE_FAILED', `invalid storage key ${JSON.stringify(key)}`);
  }
}

/** The backend behind wasm's `Store.withBackend` for `storage: 'file'`. */
export class FileBackend {
  readonly #root: string;
  readonly #node: NodeApis;
  #closed = false;
  /** A commit passed its commit point but was not fully applied: finish it before anything. */
  #unfinished = false;
  /** What our `.lock` holds (released only if it still does). */
  #lockText = '';

  private constructor(root: string, node: NodeApis) {
    this.#root = root;
    this.#node = node;
  }

  /**
   * Opens (creating) the directory, takes its lock and finishes or discards an interrupted
   * commit. Rejects with `STORAGE_LOCKED` while another live engine writes it,
   * `STORAGE_OPEN_FAILED` where it cannot be created or read.
   */
  static async open(path: string): Promise<FileBackend> {
    const node = await nodeApis();
    const root = node.resolve(path);
    try {
      await node.fs.mkdir(root, { recursive: true });
    } catch (e) {
      throw new ScryError('STORAGE_OPEN_FAILED', `cannot create ${root}: ${String(e)}`, {
        cause: e,
      });
    }
    const backend = new FileBackend(root, node);
    await backend.#lock();
    try {
      await backend.#recover();
    } catch (e) {
      await backend.close();
      throw e;
    }
    return backend;
  }

  /** The directory. */
  get root(): string {
    return this.#root;
  }

  async #lock(): Promise<void> {
    const { join, hostname } = this.#node;
    const root = this.#root;
    const file = join(root, LOCK);
    const host = hostname();
    const locked = (who: string) =>
      new ScryError(
        'STORAGE_LOCKED',
        `${root} is being written by ${who}; dispose that engine first (or delete ${file} ` +
          `if no such process uses it)`,
      );
    // Claimed at once (before any await), so engines of this process never race for it.
    if (HELD.has(root)) throw locked('another engine of this process');
    HELD.add(root);
    try {
      await this.#takeLock(file, host, locked);
    } catch (e) {
      HELD.delete(root);
      throw e;
    }
  }

  async #takeLock(file: string, host: string, locked: (who: string) => ScryError): Promise<void> {
    const { fs, join, pid, alive } = this.#node;
    const root = this.#root;
    const failed = (e: unknown) =>
      new ScryError('STORAGE_OPEN_FAILED', `cannot lock ${root}: ${String(e)}`, { cause: e });
    // The lock appears whole or not at all: written to a file of our own, then hard-linked.
    const nonce = Math.random().toString(36).slice(2);
    const mine = JSON.stringify({ pid, host, nonce });
    const tmp = join(root, `${LOCK}.${pid}.${nonce}`);
    try {
      await fs.writeFile(tmp, mine, { flag: 'wx' });
    } catch (e) {
      throw failed(e);
    }
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          await fs.link(tmp, file);
          this.#lockText = mine;
          return;
        } catch (e) {
          if (errno(e) !== 'EEXIST') throw failed(e);
        }
        let text: string;
        try {
          text = await fs.readFile(file, 'utf8');
        } catch (e) {
          if (errno(e) === 'ENOENT') continue; // released meanwhile
          throw failed(e);
        }
        let holder: { pid?: unknown; host?: unknown } = {};
        try {
          holder = JSON.parse(text) as typeof holder;
        } catch {
          // Not a lock scry wrote: left to the user (the message says how).
        }
        // Only a lock of this host can be checked. One naming this process is from an earlier
        // process that had the same pid (a restarted container): this one holds no lock on
        // this directory but the one it is taking.
        const stale =
          typeof holder.pid === 'number' &&
          holder.host === host &&
          (holder.pid === pid || !alive(holder.pid));
        if (!stale) {
          throw locked(
            typeof holder.pid === 'number'
              ? `process ${String(holder.pid)} on ${String(holder.host)}`
              : 'an unknown writer',
          );
        }
        // Take it over: move it aside, then check that what moved is the lock judged stale
        // (another process may have taken it over first).
        const aside = join(root, `${LOCK}.stale.${pid}.${nonce}`);
        try {
          await fs.rename(file, aside);
        } catch (e) {
          if (errno(e) === 'ENOENT') continue;
          throw failed(e);
        }
        const moved = await fs.readFile(aside, 'utf8').catch(() => '');
        if (moved !== text) {
          await fs.link(aside, file).catch(() => undefined);
          await fs.unlink(aside).catch(() => undefined);
          throw locked('another process (it took the lock over at the same time)');
        }
        await fs.unlink(aside).catch(() => undefined);
      }
      throw locked('another process');
    } finally {
      await fs.unlink(tmp).catch(() => undefined);
    }
  }

  /**
   * Whether the journal exists as a real folder (`false`: there is none). A link (scry would
   * read, write and delete through it, outside the index) or a file at its name is refused.
   */
  async #journalIsOurs(): Promise<boolean> {
    const journal = this.#node.join(this.#root, JOURNAL);
    try {
      if ((await this.#node.fs.lstat(journal)).isDirectory()) return true;
    } catch (e) {
      if (errno(e) === 'ENOENT') return false;
      throw e;
    }
    throw new ScryError(
      'STORAGE_FAILED',
      `${journal} is not a folder scry made (a link or a file): remove it to use this index`,
    );
  }

  async #recover(): Promise<void> {
    const { fs, join } = this.#node;
    const journal = join(this.#root, JOURNAL);
    if (!(await this.#journalIsOurs())) return;
    let ops: string | undefined;
    try {
      ops = await fs.readFile(join(journal, COMMITTED), 'utf8');
    } catch (e) {
      if (errno(e) !== 'ENOENT') throw storageError('reading the journal', e);
    }
    if (ops !== undefined) await this.#apply(ops);
    try {
      await this.#clearJournal();
    } catch (e) {
      throw storageError('removing the journal', e);
    }
  }

  /**
   * Deletes the journal's own files (numbered values, `ops`, `COMMITTED`; a link under one of
   * those names is removed itself, never its target) and then the folder if that left it
   * empty: anything else someone put there is kept.
   */
  async #clearJournal(): Promise<void> {
    const { fs, join } = this.#node;
    const journal = join(this.#root, JOURNAL);
    if (!(await this.#journalIsOurs())) return;
    let entries: DirEntry[];
    try {
      entries = await fs.readdir(journal, { withFileTypes: true });
    } catch (e) {
      if (errno(e) === 'ENOENT') return;
      throw e;
    }
    for (const entry of entries) {
      if (!entry.isDirectory() && JOURNAL_FILE.test(entry.name)) {
        await fs.unlink(join(journal, entry.name));
      }
    }
    try {
      await fs.rmdir(journal);
    } catch (e) {
      if (errno(e) !== 'ENOTEMPTY' && errno(e) !== 'EEXIST' && errno(e) !== 'ENOENT') throw e;
    }
  }

  /** Applies a committed op list (idempotent: a second run after a crash is harmless). */
  async #apply(ops: string): Promise<void> {
    const { fs, join, dirname } = this.#node;
    const journal = join(this.#root, JOURNAL);
    for (const line of ops.split('\n')) {
      if (line === '') continue;
      const op = line.slice(0, 2);
      const rest = line.slice(2);
      if (op === 'P ') {
        const space = rest.indexOf(' ');
        const key = rest.slice(space + 1);
        if (space < 0) throw corruptJournal(line);
        checkKey(key);
        const target = join(this.#root, key);
        try {
          await fs.mkdir(dirname(target), { recursive: true });
          await fs.rename(join(journal, rest.slice(0, space)), target);
        } catch (e) {
          // Already moved by an apply that crashed after this line.
          if (errno(e) !== 'ENOENT') throw storageError(`writing ${key}`, e);
        }
      } else if (op === 'D ') {
        checkKey(rest);
        try {
          await fs.unlink(join(this.#root, rest));
        } catch (e) {
          if (errno(e) !== 'ENOENT') throw storageError(`deleting ${rest}`, e);
        }
      } else {
        throw corruptJournal(line);
      }
    }
  }

  /** Checks the store is usable, first finishing a commit whose apply failed. */
  async #ready(): Promise<void> {
    if (this.#closed) throw new ScryError('DISPOSED', 'the file store was closed');
    if (this.#unfinished) {
      await this.#recover();
      this.#unfinished = false;
    }
  }

  // Keys arrive checked: wasm's JsStorage applies scry-core's `check_key` before calling.
  async get(key: string): Promise<Uint8Array | undefined> {
    await this.#ready();
    try {
      return await this.#node.fs.readFile(this.#node.join(this.#root, key));
    } catch (e) {
      if (errno(e) === 'ENOENT') return undefined;
      throw storageError(`reading ${key}`, e);
    }
  }

  async list(prefix: string): Promise<string[]> {
    await this.#ready();
    const { fs, join } = this.#node;
    const out: string[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      let entries: DirEntry[];
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch (e) {
        if (errno(e) === 'ENOENT') return;
        throw storageError(`listing ${dir}`, e);
      }
      for (const entry of entries) {
        const key = rel === '' ? entry.name : `${rel}/${entry.name}`;
        if (key.startsWith('.')) continue;
        if (entry.isDirectory()) await walk(join(dir, entry.name), key);
        // Files scry did not write (an editor's backup, `.DS_Store`) are not keys.
        else if (entry.isFile() && key.startsWith(prefix) && validKey(key)) out.push(key);
      }
    };
    await walk(this.#root, '');
    return out.sort();
  }

  /** Writes `keys[i]` = `values[i]` and deletes `deletes`, atomically. */
  async commit(keys: string[], values: Uint8Array[], deletes: string[]): Promise<void> {
    await this.#ready();
    if (keys.length !== values.length) {
      throw new ScryError('STORAGE_FAILED', 'commit: one value per key');
    }
    const { fs, join, dirname } = this.#node;
    const journal = join(this.#root, JOURNAL);
    // Directories the puts land in: made before the commit point, synced after the apply.
    const dirs = new Set(keys.map((k) => dirname(join(this.#root, k))));
    let ops = '';
    try {
      await this.#clearJournal();
      await fs.mkdir(journal, { recursive: true });
      for (const dir of dirs) await fs.mkdir(dir, { recursive: true });
      for (let i = 0; i < keys.length; i++) {
        await this.#writeSynced(join(journal, String(i)), values[i] ?? new Uint8Array());
        ops += `P ${i} ${keys[i] ?? ''}\n`;
      }
      for (const key of deletes) ops += `D ${key}\n`;
      await this.#writeSynced(join(journal, 'ops'), ops);
      await this.#syncDir(journal);
    } catch (e) {
      // Nothing is committed; the next commit or open clears the journal.
      throw storageError('writing the commit', e);
    }
    try {
      // The commit point.
      await fs.rename(join(journal, 'ops'), join(journal, COMMITTED));
      await this.#syncDir(journal);
    } catch (e) {
      throw storageError('committing', e);
    }
    // Committed: the caller is told so. What fails from here on (applying the journal) is
    // finished by the next call, or the next open, before anything is read.
    this.#unfinished = true;
    try {
      await this.#apply(ops);
      for (const dir of dirs) await this.#syncDir(dir);
      await this.#syncDir(this.#root);
      await this.#recover();
      this.#unfinished = false;
    } catch {
      // Left for #ready.
    }
  }

  async #writeSynced(path: string, data: Uint8Array | string): Promise<void> {
    // 'wx': a file or link already there is refused, never written through.
    const handle = await this.#node.fs.open(path, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** Makes renames durable where the platform allows syncing a directory (not Windows). */
  async #syncDir(dir: string): Promise<void> {
    try {
      const handle = await this.#node.fs.open(dir, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch {
      // Best effort.
    }
  }

  /** Releases the lock; the store cannot be used afterwards. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const file = this.#node.join(this.#root, LOCK);
    try {
      if ((await this.#node.fs.readFile(file, 'utf8')) === this.#lockText) {
        await this.#node.fs.unlink(file);
      }
    } catch {
      // Already gone; a stale lock is taken over anyway.
    }
    HELD.delete(this.#root);
  }
}

function corruptJournal(line: string): ScryError {
  return new ScryError('CORRUPT_DATA', `file storage journal: bad line ${JSON.stringify(line)}`);
}
