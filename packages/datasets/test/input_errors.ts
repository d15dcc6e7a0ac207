/**
 * Assertions for the errors of bad arguments: the class (`DatasetInputError` unless another is given), that it
 * is a `PirError`, its `name`, `where`, `argument`, that the message starts with `where: ` and says `message`.
 */
import { DatasetInputError } from '@pir/datasets';
import { PirError } from '@pir/runtime';
import { expect } from 'vitest';

type ErrorClass = abstract new (...args: never[]) => PirError;

/** Check a caught error. */
export function expectPirError(
  err: unknown,
  where: string,
  argument: string,
  message: RegExp | string,
  Class: ErrorClass = DatasetInputError,
): PirError {
  expect(err, `${where} (${argument}) threw`).toBeInstanceOf(Class);
  expect(err).toBeInstanceOf(PirError);
  const e = err as PirError;
  expect(e.name).toBe(Class.name);
  expect([e.where, e.argument]).toEqual([where, argument]);
  expect(e.message.startsWith(`${where}: `), e.message).toBe(true);
  if (typeof message === 'string') expect(e.message).toContain(message);
  else expect(e.message).toMatch(message);
  return e;
}

/** `fn()` throws (synchronously) the error described. */
export function expectInputError(
  fn: () => unknown,
  where: string,
  argument: string,
  message: RegExp | string,
  Class: ErrorClass = DatasetInputError,
): PirError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, `${where}: nothing was thrown`).toBeDefined();
  return expectPirError(err, where, argument, message, Class);
}

/** `promise` rejects with the error described. */
export async function expectInputRejection(
  promise: Promise<unknown>,
  where: string,
  argument: string,
  message: RegExp | string,
  Class: ErrorClass = DatasetInputError,
): Promise<PirError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `${where}: the promise resolved`).toBeDefined();
  return expectPirError(err, where, argument, message, Class);
}
