// Lint: typescript-eslint and Svelte recommended rules, plus the layer boundaries the code relies on
// (renderer -> app/api only; app never touches Electron; models/ts stands alone) and no import cycles.
// Rules are syntax-only (no type information) so the whole run stays fast on a small machine.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';

const root = import.meta.dirname;

export default defineConfig(
  {
    ignores: [
      '**/node_modules/**',
      'dist/**',
      'renderer/dist/**',
      'models/python/**',
      'bench/results/**',
      'build/**',
      // Other build and test outputs (.gitignore)
      'out/**',
      'test-results/**',
      '.tmp/**',
    ],
  },
  js.configs.recommended,
  ts.configs.recommended,
  svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.cts', '.mts', '.js', '.mjs', '.cjs', '.svelte'],
      // Imported files are parsed by extension, not with the parser of the file doing the importing.
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.cts', '.mts'], 'svelte-eslint-parser': ['.svelte'] },
      'import-x/resolver-next': [
        createTypeScriptImportResolver({
          project: ['tsconfig.json', 'renderer/tsconfig.json'],
          noWarnOnMultipleProjects: true,
          extensions: ['.ts', '.cts', '.mts', '.js', '.mjs', '.cjs', '.svelte', '.json', '.node'],
        }),
      ],
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': [
        'error',
        {
          basePath: root,
          zones: [
            {
              target: './renderer',
              from: '.',
              except: ['./renderer', './app/api', './node_modules'],
              message: 'The renderer imports only from renderer/ and the app/api contract (and packages).',
            },
            { target: './app', from: './main', message: 'app/ is headless: it never depends on the Electron shell.' },
            { target: './models/ts', from: './app', message: 'The model port stands alone: models/ts never imports app/.' },
          ],
        },
      ],
    },
  },
  {
    files: ['app/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', message: 'app/ is headless: Electron belongs in main/.' }], patterns: ['electron/*'] },
      ],
    },
  },
  {
    files: ['app/**/*.ts', 'main/**/*.ts', 'main/**/*.cts'],
    rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }] },
  },
  {
    // Browser code: no Node builtins. The Vite/Vitest config files next to it run in Node and are exempt.
    files: ['renderer/**'],
    ignores: ['renderer/*.config.ts'],
    // parserOptions.parser: the TypeScript parser for <script lang="ts"> in components this code imports.
    languageOptions: { globals: { ...globals.browser }, parserOptions: { parser: ts.parser, extraFileExtensions: ['.svelte'] } },
    rules: { 'import-x/no-nodejs-modules': 'error' },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser, extraFileExtensions: ['.svelte'] } },
    // TypeScript and svelte-check already resolve identifiers, with the types no-undef lacks.
    rules: { 'no-undef': 'off' },
  },
);
