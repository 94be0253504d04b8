export * from './cost';
export * from './conversions';
