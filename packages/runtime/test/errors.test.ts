import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, PirError } from '../src/index.js';

describe('PirError', () => {
  it('carries where and argument, prefixes the message with where once, keeps the cause', () => {
    const cause = new Error('low level');
    const e = new PirError('hardBelief', 'k', 'k must be ≤ 5, got 6', { cause });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('PirError');
    expect(e.where).toBe('hardBelief');
    expect(e.argument).toBe('k');
    expect(e.message).toBe('hardBelief: k must be ≤ 5, got 6');
    expect(e.cause).toBe(cause);
    expect(new PirError('f', '', 'f: already prefixed').message).toBe('f: already prefixed');
  });

  it('is the base of the runtime errors', () => {
    const e = new BackendUnavailableError('webgpu', 'no adapter');
    expect(e).toBeInstanceOf(PirError);
    expect(e.name).toBe('BackendUnavailableError');
    expect([e.where, e.argument, e.backend, e.reason]).toEqual([
      'initBackend',
      'backend',
      'webgpu',
      'no adapter',
    ]);
    expect(e.message).toBe("initBackend: backend 'webgpu' is not available: no adapter");
  });
});
