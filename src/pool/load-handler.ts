/**
 * Loading the worker module and finding its handlers: ESM and CommonJS through import(),
 * TypeScript where the running Node strips types, else a TypeScriptUnsupportedError that says
 * what to do.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { HandlerNotFoundError, TypeScriptUnsupportedError } from '../errors.js';

/** A worker's handler: `(task, ctx) => result | Promise<result>`. */
export type TaskHandler = (task: unknown, ctx: unknown) => unknown;

const TYPESCRIPT_EXTENSIONS = new Set(['.ts', '.mts', '.cts']);

/** Whether this Node (with these options) loads .ts files: type stripping on, or a loader such as tsx. */
export function canLoadTypeScript(execArgv: readonly string[] = process.execArgv): boolean {
  const features = process.features as { typescript?: string | false };
  if (features.typescript) return true;
  const options = [...execArgv, process.env['NODE_OPTIONS'] ?? ''].join(' ');
  if (/--experimental-(strip|transform)-types/.test(options) && !/--no-experimental-strip-types/.test(options)) return true;
  return /(--import|--loader|--experimental-loader|--require|-r)[= ]\S*tsx/.test(options);
}

/** The module's namespace object. TypeScriptUnsupportedError for a .ts file this Node cannot load. */
export async function loadWorkerModule(filename: string): Promise<Record<string, unknown>> {
  if (TYPESCRIPT_EXTENSIONS.has(path.extname(filename)) && !canLoadTypeScript()) {
    throw new TypeScriptUnsupportedError(
      `the worker file ${filename} is TypeScript, and Node ${process.version} cannot strip types: ` +
        'compile it to .js (tsc), or run the workers with a loader (new Pool({ execArgv: ["--import", "tsx"] })), ' +
        'or use Node 22.6+ with --experimental-strip-types (on by default from 22.18 and 23.6)',
    );
  }
  return (await import(pathToFileURL(filename).href)) as Record<string, unknown>;
}

/** The handler `name` (or the default export) of a loaded module; HandlerNotFoundError if it is not a function. */
export function findHandler(module: Record<string, unknown>, name: string | undefined, filename: string): TaskHandler {
  const key = name ?? 'default';
  let handler = module[key];
  // CommonJS: import() gives module.exports as `default`; named functions may sit there only.
  const fallback = module['default'];
  if (typeof handler !== 'function' && fallback !== null && (typeof fallback === 'object' || typeof fallback === 'function')) {
    handler = (fallback as Record<string, unknown>)[key];
  }
  if (typeof handler === 'function') return handler as TaskHandler;
  throw new HandlerNotFoundError(
    name === undefined
      ? `the worker module ${filename} has no default export function (export default (task, ctx) => ..., or run with { name })`
      : `the worker module ${filename} has no exported function '${name}'`,
  );
}
