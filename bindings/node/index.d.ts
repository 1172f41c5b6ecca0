// Types of sqlite-vae (index.js).

/** Anything with loadExtension(path): a better-sqlite3 Database or a node:sqlite DatabaseSync. */
export interface ExtensionLoader {
  loadExtension(path: string, entryPoint?: string): unknown;
  enableLoadExtension?(allow: boolean): void;
}

/** Loads vae.so into db. */
export function load(db: ExtensionLoader): void;

/** The path of vae.so (built at install, or carried for this platform). */
export function getLoadablePath(): string;

/** The extension's version, the same as SELECT vae_version(). */
export const version: string;
