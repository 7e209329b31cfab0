// Lint the TypeScript sources with the type-aware recommended rules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      // Money is never a float: forbid parseFloat/Number.parseFloat outright.
      'no-restricted-globals': ['error', { name: 'parseFloat', message: 'No floats for money: use src/engine/money.ts.' }],
      'no-restricted-properties': ['error', { object: 'Number', property: 'parseFloat', message: 'No floats for money: use src/engine/money.ts.' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The engine is pure: no clock, no randomness, no I/O modules.
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error',
        { selector: "MemberExpression[object.name='Date'][property.name='now']", message: 'The engine takes time from the command.' },
        { selector: "NewExpression[callee.name='Date']", message: 'The engine takes time from the command.' },
        { selector: "MemberExpression[object.name='Math'][property.name='random']", message: 'The engine is deterministic.' },
      ],
      'no-restricted-imports': ['error', { patterns: ['node:fs*', 'node:net', 'node:http*', 'node:child_process', 'node:worker_threads', 'fs', 'net', 'http', 'https'] }],
    },
  },
);
