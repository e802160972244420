// One "host" of the bridge scenario: a bridge in a process of its own, attached to the
// namespace argv[2].namespace, exporting and importing the channels named there. Sends
// { type: 'ready' }; on { type: 'stop' } closes the bridge and exits.
import * as shmkit from '../../dist/index.js';
import * as bridgeModule from '../../dist/bridge/index.js';

const config = JSON.parse(process.argv[2]);
const namespace = shmkit.Namespace.open(config.namespace);
const bridge = await bridgeModule.Bridge.start({ redis: config.redis, namespace, prefix: config.prefix, host: config.host });
for (const name of config.exports ?? []) bridge.exportChannel(name, config.exportOptions ?? {});
for (const name of config.imports ?? []) bridge.importChannel(name, config.importOptions ?? {});
process.on('message', async (message) => {
  if (message?.type !== 'stop') return;
  await bridge.close();
  namespace.close();
  process.send({ type: 'stopped', stats: bridge.stats() });
  process.disconnect();
});
process.send({ type: 'ready' });
