// eslint.config.js — lint rules for the page's own browser code (static/js): eslint's
// recommended rules on ES modules running in a browser, with D3 loaded as the global `d3`.
import js from '@eslint/js';
import globals from 'globals';

export default [
  js.configs.recommended,
  {
    files: ['static/**/*.js'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.browser },
    },
  },
];
