/** `@vigil/cli`: the `vigil` command line. Run `vigil --help`. */
export { createProgram, main } from './main.js';
export { globalOptions, print, UsageError, type GlobalOptions } from './context.js';
