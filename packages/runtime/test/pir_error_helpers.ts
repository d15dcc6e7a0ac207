/**
 * Assertions for the runtime's input errors: exactly a `PirError` (not a subclass), with `where`, `argument`,
 * a message that starts with `where: ` and says `message`.
 */
import { expect } from 'vitest';
import { PirError } from '../src/errors.js';

/** Check a caught error. */
export function expectPirError(err: unknown, where: string, argument: string, message: RegExp): PirError {
  expect(err, `${where} (${argument}) threw`).toBeInstanceOf(PirError);
  const e = err as PirError;
  expect(e.constructor).toBe(PirError);
  expect(e.name).toBe('PirError');
  expect([e.where, e.argument]).toEqual([where, argument]);
  expect(e.message.startsWith(`${where}: `), e.message).toBe(true);
  expect(e.message).toMatch(message);
  return e;
}

/** `fn()` throws (synchronously) the error described. */
export function expectThrowsPirError(
  fn: () => unknown,
  where: string,
  argument: string,
  message: RegExp,
): PirError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, `${where}: nothing was thrown`).toBeDefined();
  return expectPirError(err, where, argument, message);
}

/** `promise` rejects with the error described. */
export async function expectRejectsPirError(
  promise: Promise<unknown>,
  where: string,
  argument: string,
  message: RegExp,
): Promise<PirError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `${where}: the promise resolved`).toBeDefined();
  return expectPirError(err, where, argument, message);
}
