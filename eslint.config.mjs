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
  // ----- layers (docs/ARCHITECTURE.md): what each may import -----
  {
    // routes → domain → data: the domain and the data layers never reach back into HTTP.
    files: [
      'server/src/{domain,admin,ledger,store,datasets,engine,query,auth}/**/*.ts',
      'server/src/queue.ts'
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+(http|routes)(/|$)',
              message:
                'The domain and data layers do not import the HTTP layer (routes → domain → data).'
            }
          ]
        }
      ]
    }
  },
  {
    // The DP engine depends on nothing of the server but itself (and the protocol's rules).
    files: ['server/src/dp/**/*.ts'],
    // Test support (data for the statistical tests) may read the demo data files.
    ignores: ['server/src/dp/**/testing/**', 'server/src/dp/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '^(\\.\\./)+(http|routes|domain|admin|ledger|store|datasets|engine|query|auth)(/|$)',
              message:
                'server/src/dp is self-contained: it imports only its own modules and lomas-kernel/protocol.'
            }
          ]
        }
      ]
    }
  },
  {
    // The protocol is the bottom layer: the builder and the client use it, never the reverse.
    files: ['kernel-lib/src/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+(client|query|expr)(/|$)',
              message: 'lomas-kernel/protocol imports nothing from the notebook library.'
            }
          ]
        }
      ]
    }
  },
  {
    // The extension shares the wire contract with the kernel library, nothing else.
    files: ['extension/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'lomas-kernel', message: 'The extension imports only lomas-kernel/protocol.' }
          ],
          patterns: [
            {
              group: ['lomas-kernel/*', '!lomas-kernel/protocol', '**/kernel-lib/**'],
              message: 'The extension imports only lomas-kernel/protocol.'
            }
          ]
        }
      ]
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
