import { LomasError } from 'lomas-kernel/protocol';

/**
 * Runs `f`, which must throw a LomasError naming `parameter` (bad input is a typed error, never a
 * silent default). Returns the error for further checks.
 */
export function expectParameterError(f: () => unknown, parameter: string): LomasError {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(LomasError);
  const err = thrown as LomasError;
  expect(err.details.parameter).toBe(parameter);
  return err;
}
