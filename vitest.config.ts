import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each file in its own process: koffi mappings and futex waits stay out of the runner.
    pool: 'forks',
    // Two cores: at most two files at once, so spinning tests do not starve each other.
    maxWorkers: 2,
    // Under `npm run stress` (a CPU hog per core, injected pauses) everything takes 2-4x longer.
    testTimeout: process.env['SHMKIT_STRESS'] ? 300_000 : 60_000,
    hookTimeout: 30_000,
    globalSetup: ['test/helpers/global-setup.ts'],
  },
});
