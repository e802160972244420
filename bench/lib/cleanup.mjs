// What a run must undo however it ends: child processes to kill (CPU hogs above all), shared
// memory names to unlink, temporary files to remove. Each is registered here while it exists;
// the registered steps run on the process's 'exit' event, which also fires when SIGINT, SIGTERM
// or SIGHUP arrives, because those are turned into process.exit() below. The steps are
// synchronous (kill, unlink), as 'exit' handlers must be.
const steps = new Set();
let installed = false;

/** Registers a synchronous clean-up step; returns the function that unregisters it. */
export function atExit(step) {
  install();
  steps.add(step);
  return () => steps.delete(step);
}

/** Kills `child` (SIGKILL) if this process ends while it still runs. */
export function killAtExit(child) {
  const forget = atExit(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  child.once('exit', forget);
}

function runSteps() {
  for (const step of [...steps]) {
    try {
      step();
    } catch {
      // one failed step must not keep the others from running
    }
  }
  steps.clear();
}

const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/** Turns SIGINT, SIGTERM and SIGHUP into process.exit() (so the steps run) from now on. */
export function install() {
  if (installed) return;
  installed = true;
  process.on('exit', runSteps);
  for (const [signal, number] of Object.entries(SIGNALS)) {
    process.on(signal, () => {
      console.error(`\n${signal}: stopping children and removing what this run made`);
      process.exit(128 + number); // runs the steps through 'exit'
    });
  }
}
