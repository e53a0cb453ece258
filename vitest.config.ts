import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A PostgreSQL server for the shared-desk tests (test/setup/postgres.ts).
    globalSetup: ['test/setup/postgres.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two cores: several files at once, each bounded in time.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
