import * as protobuf from 'protobufjs';
import CRC32C from 'crc-32/crc32c';

/**
 * The parts of TensorFlow's event protocol that scalar logging uses, with the field numbers of
 * the published schema (tensorflow/core/util/event.proto and framework/summary.proto):
 *   Event { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5;
 *           SessionLog session_log = 7 }
 *   Summary { repeated Value value = 1 }, Value { string tag = 1; float simple_value = 2 }
 *   SessionLog { SessionStatus status = 1 }, START = 1
 */
export const EVENT_SCHEMA = protobuf.Root.fromJSON({
  nested: {
    tensorboard: {
      nested: {
        Event: {
          oneofs: { what: { oneof: ['file_version', 'summary', 'session_log'] } },
          fields: {
            wall_time: { type: 'double', id: 1 },
            step: { type: 'int64', id: 2 },
            file_version: { type: 'string', id: 3 },
            summary: { type: 'Summary', id: 5 },
            session_log: { type: 'SessionLog', id: 7 },
          },
        },
        Summary: {
          fields: { value: { rule: 'repeated', type: 'Value', id: 1 } },
          nested: { Value: { fields: { tag: { type: 'string', id: 1 }, simple_value: { type: 'float', id: 2 } } } },
        },
        SessionLog: {
          fields: { status: { type: 'SessionStatus', id: 1 } },
          nested: { SessionStatus: { values: { STATUS_UNSPECIFIED: 0, START: 1, STOP: 2, CHECKPOINT: 3 } } },
        },
      },
    },
  },
});

export const Event = EVENT_SCHEMA.lookupType('tensorboard.Event');

/** TensorBoard's masked CRC-32C: rotate right by 15 and add a constant (so CRCs of CRCs differ). */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = CRC32C.buf(bytes, 0) >>> 0;
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/**
 * One record of a tfevents file (TensorFlow's TFRecord framing): the length as a little-endian
 * uint64, the masked CRC-32C of those 8 bytes, the payload, and the masked CRC-32C of the payload.
 */
export function frameRecord(payload: Uint8Array): Buffer {
  const out = Buffer.alloc(8 + 4 + payload.length + 4);
  out.writeBigUInt64LE(BigInt(payload.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(payload, 12);
  out.writeUInt32LE(maskedCrc32c(payload), 12 + payload.length);
  return out;
}

/** Reads the records of a tfevents file back, checking both CRCs of each; a torn last record ends the list. */
export function readRecords(bytes: Uint8Array): Uint8Array[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  let at = 0;
  while (at + 12 <= buf.length) {
    const length = Number(buf.readBigUInt64LE(at));
    if (buf.readUInt32LE(at + 8) !== maskedCrc32c(buf.subarray(at, at + 8))) throw new Error(`record at byte ${at}: the length's CRC does not match`);
    if (at + 12 + length + 4 > buf.length) break;
    const payload = buf.subarray(at + 12, at + 12 + length);
    if (buf.readUInt32LE(at + 12 + length) !== maskedCrc32c(payload)) throw new Error(`record at byte ${at}: the payload's CRC does not match`);
    out.push(payload);
    at += 12 + length + 4;
  }
  return out;
}

/** An event as the writer builds it. */
export interface EventFields {
  wall_time: number;
  step: number;
  file_version?: string;
  summary?: { value: { tag: string; simple_value: number }[] };
  session_log?: { status: number };
}

export function encodeEvent(e: EventFields): Uint8Array {
  return Event.encode(Event.fromObject(e)).finish();
}

export function decodeEvent(bytes: Uint8Array): EventFields {
  return Event.toObject(Event.decode(bytes), { longs: Number, enums: Number, defaults: false }) as EventFields;
}
