import { LomasError } from 'lomas-kernel/protocol';

/**
 * Typed errors of the DP engine. Every bad parameter names itself and the rule it broke, so the
 * analyst reads advice, not a stack trace.
 */
export function invalidParameter(parameter: string, rule: string, fix?: string): LomasError {
  return new LomasError('INVALID_PARAMETER', { parameter, rule, fix });
}

export function privacyRule(rule: string, why: string, fix?: string): LomasError {
  return new LomasError('PRIVACY_RULE', { rule, why, fix });
}
