// A CPU hog for the under-load scenario: spins one core until killed. It also stops on its
// own when its parent goes away (the IPC channel closes, or it is re-parented) or after
// `maxSeconds`, so a hog can never outlive the run that started it, even one killed with
// SIGKILL. It spins in 20 ms slices and yields to its event loop between slices, which is
// how it hears of the IPC channel closing.
const maxSeconds = Number(process.argv[2] ?? 900);
const parent = process.ppid;
const deadline = performance.now() + maxSeconds * 1000;
process.on('disconnect', () => process.exit(0));

let sink = 1;
function spin() {
  const until = performance.now() + 20;
  while (performance.now() < until) {
    for (let i = 0; i < 1000; i++) sink = (sink * 1.000001 + i) % 1e9;
  }
  if (process.ppid !== parent || performance.now() > deadline) process.exit(0);
  setImmediate(spin);
}

process.send('spinning');
spin();
