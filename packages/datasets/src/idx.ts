import * as fs from 'node:fs';
import { UserError } from '@vaeflow/core';

/** A parsed IDX file (LeCun's MNIST format): unsigned bytes with their dimensions. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Raised for a file that is not a well-formed IDX file; names the file and what is wrong. */
export class IdxFormatError extends UserError {
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'IdxFormatError';
  }
}

/**
 * Parses an IDX file of unsigned bytes. Header: two zero bytes, type code 0x08 (ubyte), the
 * number of dimensions, then each dimension as a big-endian uint32. The payload must hold
 * exactly prod(dims) bytes: a truncated or padded file is an error, as is any expected
 * shape that does not match.
 */
export function readIdx(file: string, expect?: { rank: number; dims?: (number | null)[] }): IdxArray {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new IdxFormatError(file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); is the data package installed?`);
  }
  if (buf.length < 4) throw new IdxFormatError(file, `is ${buf.length} bytes long, too short for an IDX header`);
  if (buf[0] !== 0 || buf[1] !== 0) throw new IdxFormatError(file, `bad magic number 0x${buf.readUInt32BE(0).toString(16).padStart(8, '0')} (not an IDX file)`);
  if (buf[2] !== 0x08) throw new IdxFormatError(file, `element type 0x${buf[2].toString(16)} is not unsigned byte (0x08)`);
  const rank = buf[3];
  if (expect && rank !== expect.rank) throw new IdxFormatError(file, `has ${rank} dimensions, expected ${expect.rank}`);
  const header = 4 + 4 * rank;
  if (buf.length < header) throw new IdxFormatError(file, 'is truncated inside its header');
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  expect?.dims?.forEach((d, i) => {
    if (d !== null && dims[i] !== d) throw new IdxFormatError(file, `dimension ${i} is ${dims[i]}, expected ${d}`);
  });
  const size = dims.reduce((a, b) => a * b, 1);
  const payload = buf.length - header;
  if (payload < size) throw new IdxFormatError(file, `is truncated: the header promises ${size} bytes of data (${dims.join(' x ')}) but ${payload} follow`);
  if (payload > size) throw new IdxFormatError(file, `has ${payload - size} bytes after the ${dims.join(' x ')} data: corrupt`);
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + header, size) };
}
