// vitest globalSetup: one throw-away PostgreSQL server for the whole run (scripts/pg-server.mjs),
// on 127.0.0.1 on a free port, its data in a temporary directory removed at the end. Tests get its
// superuser URL with inject('pgAdminUrl') and make a database of their own (test/helpers/pg.ts).
// Without the server binaries this FAILS, saying how to install them: the shared-desk tests are
// part of the suite, never silently skipped.
import type { TestProject } from 'vitest/node';
import { INSTALL_HINT, findPgBin, startPgServer } from '../../scripts/pg-server.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  if (!findPgBin()) throw new Error(INSTALL_HINT);
  const server = await startPgServer();
  project.provide('pgAdminUrl', server.adminUrl);
  return () => server.stop();
}
