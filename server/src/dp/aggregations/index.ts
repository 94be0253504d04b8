export * from './plan';
export * from './release';
export * from './count';
