export * from './cost';
export * from './conversions';
export * from './casts';
