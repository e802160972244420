/**
 * `shmkit bridge --redis URL --namespace NAME`: a bridge as a process of its own (one per host,
 * under a supervisor), relaying the channels and broadcasts named on the command line until
 * Ctrl-C or SIGTERM, then closing cleanly (what was read and not yet in Redis stays in the
 * local ring for the next bridge). The bridge module, and ioredis with it, is loaded only here.
 */
import { HELP, toJson, type Command } from './command.js';
import { expectPositionals, integerOption, parseCommandLine, sectionName, stringOption, UsageError } from './usage.js';

interface BridgeCommandOptions {
  redis: string;
  namespace: string;
  exports: string[];
  imports: string[];
  exportBroadcasts: string[];
  importBroadcasts: string[];
  exportPools: PoolRoute[];
  importPools: PoolRoute[];
  prefix: string | undefined;
  host: string | undefined;
  group: string | undefined;
  batch: number | undefined;
  claimIdle: number | undefined;
  statsEvery: number | undefined;
  json: boolean;
}

/** A pool on the command line: POOL, or POOL=STREAM when its name across hosts differs. */
interface PoolRoute {
  pool: string;
  stream: string;
}

function poolRoutes(values: Record<string, unknown>, option: string): PoolRoute[] {
  const raw = values[option] as string[] | undefined;
  return (raw ?? []).map((text) => {
    const at = text.lastIndexOf('=');
    const pool = sectionName(at < 0 ? text : text.slice(0, at));
    const stream = at < 0 ? pool : text.slice(at + 1);
    if (stream.length === 0) throw new UsageError(`--${option} ${text}: the stream after '=' is empty`);
    return { pool, stream };
  });
}

function names(values: Record<string, unknown>, option: string): string[] {
  const raw = values[option] as string[] | undefined;
  return (raw ?? []).map((name) => sectionName(name));
}

export const bridgeCommand: Command<BridgeCommandOptions> = {
  name: 'bridge',
  summary: 'relay a namespace to Redis, for more than one host (needs ioredis)',
  help: `Usage: shmkit bridge --redis URL --namespace NAME [--export CHANNEL]...
         [--import CHANNEL]... [--export-broadcast NAME]...
         [--import-broadcast NAME]... [--export-pool POOL[=STREAM]]...
         [--import-pool POOL[=STREAM]]... [options]

Attach namespace NAME (opened, or created) to Redis until Ctrl-C or SIGTERM:
channels exported to streams (a message leaves the local ring only once Redis
has it), streams imported into channels through a consumer group (acknowledged
after the local send), broadcasts over pub/sub, pools' tasks to worker hosts
and their results back. Run one per host. Needs the
ioredis package (npm install ioredis). See docs/multi-host.md.

Options (the six relay options repeat):
  --redis URL               redis:// or rediss:// URL (required)
  --namespace NAME          the namespace to relay (required)
  --export CHANNEL          local channel CHANNEL -> stream CHANNEL
  --import CHANNEL          stream CHANNEL -> local channel CHANNEL
  --export-broadcast NAME   local broadcast NAME -> the other hosts
  --import-broadcast NAME   the other hosts -> local broadcast NAME
  --export-pool POOL        this host submits to pool POOL: its tasks also go
                            to the worker hosts, results come back here
  --import-pool POOL        this host's pool POOL runs other hosts' tasks
                            (=STREAM: the pool's name across hosts, if not POOL)
  --prefix P                prefix of every Redis key (default shmkit)
  --host H                  this host's name in ids and consumer names
                            (default <hostname>.<namespace>; keep it stable)
  --group G                 consumer group of the imports (default shmkit)
  --batch N                 messages per Redis call (default 256)
  --claim-idle MS           take over what a dead importer held this long
                            (default 30000)
  --stats-every MS          print the bridge's counters every MS
  --json                    counters as JSON lines
  -h, --help                this help
`,
  parse(args) {
    const { values, positionals } = parseCommandLine('bridge', args, {
      redis: { type: 'string' },
      namespace: { type: 'string' },
      export: { type: 'string', multiple: true },
      import: { type: 'string', multiple: true },
      'export-broadcast': { type: 'string', multiple: true },
      'import-broadcast': { type: 'string', multiple: true },
      'export-pool': { type: 'string', multiple: true },
      'import-pool': { type: 'string', multiple: true },
      prefix: { type: 'string' },
      host: { type: 'string' },
      group: { type: 'string' },
      batch: { type: 'string' },
      'claim-idle': { type: 'string' },
      'stats-every': { type: 'string' },
    });
    if (values['help']) return HELP;
    expectPositionals('bridge', positionals, []);
    const redis = stringOption(values, 'redis');
    const namespace = stringOption(values, 'namespace');
    if (redis === undefined) throw new UsageError("missing --redis URL, e.g. --redis redis://127.0.0.1:6379 (see 'shmkit bridge --help')");
    if (namespace === undefined) throw new UsageError("missing --namespace NAME (see 'shmkit bridge --help')");
    if (!/^rediss?:\/\//.test(redis)) throw new UsageError(`--redis must be a redis:// or rediss:// URL, got '${redis}' (see 'shmkit bridge --help')`);
    return {
      redis,
      namespace: sectionName(namespace),
      exports: names(values, 'export'),
      imports: names(values, 'import'),
      exportBroadcasts: names(values, 'export-broadcast'),
      importBroadcasts: names(values, 'import-broadcast'),
      exportPools: poolRoutes(values, 'export-pool'),
      importPools: poolRoutes(values, 'import-pool'),
      prefix: stringOption(values, 'prefix'),
      host: stringOption(values, 'host'),
      group: stringOption(values, 'group'),
      batch: integerOption('bridge', values, 'batch', 1, 100_000),
      claimIdle: integerOption('bridge', values, 'claim-idle', 1, 86_400_000),
      statsEvery: integerOption('bridge', values, 'stats-every', 100, 86_400_000),
      json: values['json'] === true,
    };
  },
  async run(options, io) {
    const { Bridge } = await import('../bridge/bridge.js');
    const bridge = await Bridge.start({
      redis: options.redis,
      namespace: options.namespace,
      ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
      ...(options.host === undefined ? {} : { host: options.host }),
      onError: (error, where) => io.err(`shmkit bridge: ${where}: ${(error as Error).message}\n`),
    });
    const batch = options.batch === undefined ? {} : { batch: options.batch };
    for (const name of options.exports) bridge.exportChannel(name, batch);
    for (const name of options.imports) {
      bridge.importChannel(name, {
        ...batch,
        ...(options.group === undefined ? {} : { group: options.group }),
        ...(options.claimIdle === undefined ? {} : { claimIdle: options.claimIdle }),
      });
    }
    for (const name of options.exportBroadcasts) bridge.exportBroadcast(name);
    for (const name of options.importBroadcasts) await bridge.importBroadcast(name);
    const group = options.group === undefined ? {} : { group: options.group };
    for (const { pool, stream } of options.exportPools) bridge.exportPool(pool, { stream, ...group });
    for (const { pool, stream } of options.importPools) {
      await bridge.importPool(pool, { stream, ...group, ...(options.claimIdle === undefined ? {} : { claimIdle: options.claimIdle }), connectTimeout: 10_000 });
    }
    const relayed = [...options.exports.map((n) => `export ${n}`), ...options.imports.map((n) => `import ${n}`), ...options.exportBroadcasts.map((n) => `export broadcast ${n}`), ...options.importBroadcasts.map((n) => `import broadcast ${n}`), ...options.exportPools.map((r) => `export pool ${r.pool} as ${r.stream}`), ...options.importPools.map((r) => `import pool ${r.stream} into ${r.pool}`)];
    if (!options.json) io.out(`bridge: namespace '${options.namespace}' as host '${bridge.host}' <-> ${redactUrl(options.redis)}: ${relayed.join(', ') || 'nothing relayed yet'}\n`);
    const print = (): void => io.out(options.json ? toJson(bridge.stats()).replace(/\n\s*/g, ' ').trim() + '\n' : `${JSON.stringify(bridge.stats())}\n`);
    const timer = options.statsEvery === undefined ? undefined : setInterval(print, options.statsEvery);
    await new Promise<void>((resolve) => {
      if (io.signal.aborted) return resolve();
      io.signal.addEventListener('abort', () => resolve(), { once: true });
      process.once('SIGTERM', () => resolve());
    });
    clearInterval(timer);
    await bridge.close();
    print();
    return 0;
  },
};

/** The URL without its password, for the start line. */
function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
