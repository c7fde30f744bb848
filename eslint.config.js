// Lint configuration for the whole workspace: typed rules from typescript-eslint on every package's sources.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import boundaries from "./scripts/lint/boundaries.mjs";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "bench/results/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/switch-exhaustiveness-check": ["error", { considerDefaultExhaustiveForUnions: true }],
      "no-constant-condition": ["error", { checkLoops: false }],
      eqeqeq: ["error", "always"],
    },
  },
  {
    // The dependency rules: the manager's components meet only in the store; libs never import apps.
    files: ["apps/manager/src/**/*.ts", "libs/*/src/**/*.ts"],
    plugins: { shoal: boundaries },
    rules: { "shoal/boundaries": "error" },
  },
  {
    // node:test's test() returns a promise the runner awaits itself (also in suites a test file imports).
    files: ["**/*.test.ts", "**/*-suite.ts"],
    rules: { "@typescript-eslint/no-floating-promises": "off" },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: {
        process: "readonly",
        console: "readonly",
        URL: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        Buffer: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        performance: "readonly",
        fetch: "readonly",
      },
    },
  },
);
