/** crc-32's CRC-32C module ships without its own type declarations. */
declare module 'crc-32/crc32c' {
  /** CRC-32C of the bytes, as a signed 32-bit integer (>>> 0 for the unsigned value). */
  export function buf(data: Uint8Array, seed?: number): number;
  export function str(data: string, seed?: number): number;
}
