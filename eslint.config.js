// Lint: the architecture's boundaries, checked in CI (`npm run lint`). Style is prettier's (`npm run format:check`).
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/** Folders that are the core: they never reach up to the screen (cli/, tui/). */
const CORE = ['agents', 'common', 'csyntax', 'devices', 'loop', 'memory', 'model', 'policy', 'report', 'review', 'sandboxes', 'targets', 'verifiers', 'workflow', 'fleet', 'workloads', 'plans', 'init'];
const upward = ['cli', 'tui'].flatMap((d) => [`../${d}/*`, `../../${d}/*`, `../${d}`, `../../${d}`]);

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'runs/**', '**/*.js', '**/*.cjs', 'vitest.config.ts'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parser: tseslint.parser, parserOptions: { ecmaVersion: 2022, sourceType: 'module' } },
    plugins: { '@typescript-eslint': tseslint.plugin, 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })], 'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] }, 'import-x/extensions': ['.ts', '.tsx'] },
    rules: {
      // No import cycles between files (a cycle hides which concept depends on which).
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-self-import': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: CORE.flatMap((d) => [`${d}/**/*.ts`, `${d}/**/*.tsx`]),
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: upward, message: 'core code never imports cli/ or tui/ (the screen): pass what it needs in, or move the shared piece down' }] }],
    },
  },
  {
    files: ['tui/**/*.ts', 'tui/**/*.tsx'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['../cli/*', '../cli'], message: 'tui/ never imports cli/: cli/ is the entry that wires the views' }] }],
    },
  },
);
