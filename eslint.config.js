import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'sandbox/', 'docs/api/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        URL: 'readonly',
        performance: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // The fs port is the only door to the disk: everything outside src/io and the
      // test/bench harnesses must receive it instead of importing node:fs.
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'node:fs', message: 'Use the injected FsPort from src/io.' },
            { name: 'fs', message: 'Use the injected FsPort from src/io.' },
            { name: 'node:fs/promises', message: 'Use the injected FsPort from src/io.' },
            { name: 'fs/promises', message: 'Use the injected FsPort from src/io.' },
            { name: 'fs-extra', message: 'Not used: see docs/design.md.' },
            { name: 'write-file-atomic', message: 'Not used: see docs/design.md.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/io/fs-port.ts', 'test/**', 'bench/**', 'scripts/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
