/**
 * @anchorsync/cli: the `anchorsync` command line, and the file store it
 * keeps its state in, for programs that want to share that store.
 */
export { fileStorage, STORE_FILE } from './file-storage.ts';
export { main, COMMANDS, DEFAULT_DIR, type MainOptions } from './main.ts';
export { CliError, type CliErrorCode } from './cli-error.ts';
