/** The wire protocol shared by the notebook library, the server and the extension. */
export * from './errors';
export * from './budget';
export * from './metadata';
export * from './result';
export * from './plan';
export * from './sqlRequest';
export * from './synthetic';
export * from './models';
