import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'lib/**',
      'jupyterlab_lomas/**',
      'test-artifacts/**',
      '**/*.js',
      '**/*.mjs'
    ]
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }
      ],
      'no-eval': 'error',
      'no-new-func': 'error',
      'no-implied-eval': 'error'
    }
  },
  {
    // Differential privacy code draws every random bit from the injected Rng (node:crypto).
    files: ['server/src/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'Math',
          property: 'random',
          message: 'Math.random is not a CSPRNG: use the Rng from server/src/dp/rng.'
        }
      ]
    }
  }
);
