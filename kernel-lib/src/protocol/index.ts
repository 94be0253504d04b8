/**
 * The wire protocol shared by the notebook library, the server and the extension: one zod schema
 * per wire type, the plan rules, the limits, the amount grammar and every error message.
 */
export * from './errors';
export * from './amount';
export * from './limits';
export * from './budget';
export * from './metadata';
export * from './result';
export * from './plan';
export * from './sqlRequest';
export * from './synthetic';
export * from './models';
export * from './rules';
export * from './connectors';
export * from './admin';
export * from './analyst';
export * from './caveats';
