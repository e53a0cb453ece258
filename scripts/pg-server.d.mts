// Types of pg-server.mjs, for the TypeScript tests.
export declare const INSTALL_HINT: string;
export declare function findPgBin(): string | undefined;
export interface PgServer {
  url: string;
  adminUrl: string;
  password: string;
  port: number;
  dir: string;
  socketDir: string;
  urlFor(db: string): string;
  kill(): void;
  start(): void;
  stop(): void;
}
export declare function startPgServer(options?: { bin?: string; port?: number; maxConnections?: number }): Promise<PgServer>;
