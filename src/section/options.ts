/**
 * Option parsing for Section.create / open / openOrCreate / unlink, with filled defaults.
 */
import { InvalidArgValueError } from '../errors.js';
import { LAYOUT_KINDS, MAX_USER_SIZE, type LayoutKind } from '../layout/section-header.js';
import type { SectionScope } from '../platform/index.js';
import {
  validateBoolean,
  validateInteger,
  validateKnownKeys,
  validateName,
  validateObject,
  validateString,
  validateTimeout,
} from '../validate.js';

export const DEFAULT_MODE = 0o600;
export const DEFAULT_OPEN_TIMEOUT_MS = 5000;

/** Options of Section.create. */
export interface SectionCreateOptions {
  /** Usable bytes: the length of section.buffer. 1 byte to 1 TiB. */
  size: number;
  /** Back the section by this file (persistent) instead of shared memory. */
  file?: string;
  /** Permission bits of the object or file, 0o600 by default. */
  mode?: number;
  /**
   * Windows: 'global' names the section in the Global\ namespace, seen from every session
   * (services included); creating there needs SeCreateGlobalPrivilege, and without it create
   * fails with PermissionError. 'local' (the default) is this session's namespace. Openers
   * pass the same scope. On Linux and macOS names are machine-wide already and both scopes
   * name the same section. Not for file-backed sections (a path names those).
   */
  scope?: SectionScope;
  /** @internal What the user area holds (set by Namespace, Channel, ...). */
  kind?: LayoutKind;
  /**
   * @internal Bytes of user area to reserve (>= size): a growable section (a namespace)
   * commits `size` at create and grows up to this with commit(). Where the OS cannot grow a
   * shared object (no Platform.growObject) the whole reserve is committed at create.
   */
  reserve?: number;
  /**
   * @internal Lays out the user area while openers still wait for READY; only the first
   * `committed` bytes of `buffer` may be touched.
   */
  initialize?: (buffer: ArrayBuffer, committed: number) => void;
}

/** Options of Section.open. */
export interface SectionOpenOptions {
  /** The file of a file-backed section (as given to create); omit for memory-backed ones. */
  file?: string;
  /** Map read-only (PROT_READ). Writing to the buffer of a read-only section faults. */
  readonly?: boolean;
  /** The scope it was created in (see SectionCreateOptions.scope); 'local' by default. */
  scope?: SectionScope;
  /** How long to wait for a section that is still being initialised, in ms (default 5000). */
  timeout?: number;
}

/** Options of Section.openOrCreate: create's, used only when this call creates it. */
export interface SectionOpenOrCreateOptions extends SectionCreateOptions {
  /** How long to wait for a section another process is still initialising, in ms (default 5000). */
  timeout?: number;
}

/** Options of Section.unlink. */
export interface SectionUnlinkOptions {
  /** The file of a file-backed section: unlink removes that file. */
  file?: string;
  /**
   * Remove the section even while live processes other than this one have it attached
   * (they keep their mapping; later openers no longer find it). Default false: such a
   * section is refused with SectionInUseError.
   */
  force?: boolean;
}

export interface ParsedCreate {
  name: string;
  size: number;
  file: string | undefined;
  mode: number;
  scope: SectionScope;
  kind: LayoutKind;
  reserve: number;
  initialize: ((buffer: ArrayBuffer, committed: number) => void) | undefined;
  timeout: number;
}

export interface ParsedOpen {
  name: string;
  file: string | undefined;
  readonly: boolean;
  scope: SectionScope;
  timeout: number;
}

const CREATE_KEYS = ['size', 'file', 'mode', 'scope', 'kind', 'reserve', 'initialize', 'timeout'] as const;
const OPEN_KEYS = ['file', 'readonly', 'scope', 'timeout'] as const;
const SCOPES: readonly SectionScope[] = ['local', 'global'];

function parseFile(value: unknown): string | undefined {
  return value === undefined ? undefined : validateString(value, 'options.file');
}

function parseScope(value: unknown, file: string | undefined): SectionScope {
  if (value === undefined) return 'local';
  if (!SCOPES.includes(value as SectionScope)) {
    throw new InvalidArgValueError(`options.scope must be 'local' or 'global', got ${typeof value === 'string' ? `'${value}'` : typeof value}`);
  }
  if (value === 'global' && file !== undefined) {
    throw new InvalidArgValueError("options.scope 'global' is for memory-backed sections; a file-backed section is named by its path");
  }
  return value as SectionScope;
}

export function parseCreate(name: unknown, raw: unknown, allowTimeout: boolean): ParsedCreate {
  const validName = validateName(name, 'section name');
  if (raw === undefined) throw new InvalidArgValueError('options.size is required when creating a section');
  const options = validateObject<SectionOpenOrCreateOptions>(raw, 'options');
  validateKnownKeys(options, allowTimeout ? CREATE_KEYS : CREATE_KEYS.filter((k) => k !== 'timeout'), 'options');
  if (options.size === undefined) throw new InvalidArgValueError('options.size is required when creating a section');
  const size = validateInteger(options.size, 'options.size', 1, MAX_USER_SIZE);
  const mode = options.mode === undefined ? DEFAULT_MODE : validateInteger(options.mode, 'options.mode', 0, 0o777);
  if ((mode & 0o600) !== 0o600) {
    throw new InvalidArgValueError(`options.mode must let the owner read and write (0o600 bits), got 0o${mode.toString(8)}`);
  }
  const kind = options.kind ?? 'raw';
  if (!LAYOUT_KINDS.includes(kind)) throw new InvalidArgValueError(`options.kind ${String(kind)} is not a layout kind`);
  const reserve = options.reserve === undefined ? size : validateInteger(options.reserve, 'options.reserve', size, MAX_USER_SIZE);
  if (options.initialize !== undefined && typeof options.initialize !== 'function') {
    throw new InvalidArgValueError('options.initialize must be a function');
  }
  const file = parseFile(options.file);
  return {
    name: validName,
    size,
    file,
    mode,
    scope: parseScope(options.scope, file),
    kind,
    reserve,
    initialize: options.initialize,
    timeout: validateTimeout(options.timeout, 'options.timeout', DEFAULT_OPEN_TIMEOUT_MS),
  };
}

export function parseOpen(name: unknown, raw: unknown): ParsedOpen {
  const validName = validateName(name, 'section name');
  const options = validateObject<SectionOpenOptions>(raw, 'options');
  validateKnownKeys(options, OPEN_KEYS, 'options');
  const file = parseFile(options.file);
  return {
    name: validName,
    file,
    readonly: options.readonly === undefined ? false : validateBoolean(options.readonly, 'options.readonly'),
    scope: parseScope(options.scope, file),
    timeout: validateTimeout(options.timeout, 'options.timeout', DEFAULT_OPEN_TIMEOUT_MS),
  };
}

export function parseUnlink(name: unknown, raw: unknown): { name: string; file: string | undefined; force: boolean } {
  const validName = validateName(name, 'section name');
  const options = validateObject<SectionUnlinkOptions>(raw, 'options');
  validateKnownKeys(options, ['file', 'force'], 'options');
  return {
    name: validName,
    file: parseFile(options.file),
    force: options.force === undefined ? false : validateBoolean(options.force, 'options.force'),
  };
}
