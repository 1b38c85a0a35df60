/** This package's version, read from its package.json (a plain require, so bundlers inline it). */
export const VERSION: string = (require('../package.json') as { version: string }).version;
