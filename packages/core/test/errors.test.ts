import { describe, expect, it } from 'vitest';
import { UserError, userErrorFromSystem, userErrorFromWasmHeap } from '../src/index';

describe('errors the user can act on', () => {
  it('names the path and the cause of a full disk', () => {
    const e = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC', syscall: 'write', path: '/runs/a/metrics.jsonl' });
    const u = userErrorFromSystem(e);
    expect(u).toBeInstanceOf(UserError);
    expect(u!.message).toContain('/runs/a/metrics.jsonl');
    expect(u!.message).toContain('the disk is full');
  });

  it('says what to lower when the wasm heap runs out (a Glow evaluated on 1024 rows), and leaves other errors alone', () => {
    const u = userErrorFromWasmHeap(new WebAssembly.RuntimeError('memory access out of bounds'));
    expect(u).toBeInstanceOf(UserError);
    expect(u!.message).toContain('--max-rows');
    expect(u!.message).toContain('training.batchSize');
    expect(userErrorFromWasmHeap(new Error('Aborted(OOM). Build with -sASSERTIONS for more info.'))).toBeInstanceOf(UserError);
    // The same words outside WebAssembly, and other wasm traps, are not the heap.
    expect(userErrorFromWasmHeap(new Error('memory access out of bounds'))).toBeNull();
    expect(userErrorFromWasmHeap(new WebAssembly.RuntimeError('unreachable'))).toBeNull();
    expect(userErrorFromWasmHeap(undefined)).toBeNull();
  });
});
