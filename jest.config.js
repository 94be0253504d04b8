/** One jest run for every package: unit tests beside the code, integration tests under test/. */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/kernel-lib', '<rootDir>/server', '<rootDir>/notebooks', '<rootDir>/extension'],
  testMatch: ['**/?(*.)test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/lib/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json', diagnostics: false }],
    // jose 6 ships ES modules only; the server loads it through Node's require(esm), which jest's
    // module system lacks before Node 24.9, so jest compiles jose's files to CommonJS.
    '/node_modules/jose/.+\\.js$': [
      'ts-jest',
      { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022' }, diagnostics: false }
    ]
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  moduleNameMapper: {
    // arquero 8 is ESM-only; jest (on Node 20) cannot require ESM, so tests use its UMD build.
    '^arquero$': '<rootDir>/node_modules/arquero/dist/arquero.js',
    '^lomas-kernel$': '<rootDir>/kernel-lib/src/index.ts',
    '^lomas-kernel/protocol$': '<rootDir>/kernel-lib/src/protocol/index.ts',
    '^lomas-kernel/sql$': '<rootDir>/kernel-lib/src/protocol/sql/index.ts'
  },
  testTimeout: 20000
};
