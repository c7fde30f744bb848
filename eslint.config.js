// Lint configuration for the whole workspace: typed rules from typescript-eslint on every package's sources.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import boundaries from "./scripts/lint/boundaries.mjs";

const X509_ONLY_IN_PKI = ["@peculiar/x509", "reflect-metadata"].map((name) => ({
  name,
  message: "only libs/trust/src/pki/x509.ts imports it; use @shoal/trust/pki",
}));

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
    // @peculiar/x509 (with the Reflect polyfill it needs loaded before it) has one importer, so that processes
    // that only verify certificates never load it (docs/design/trust.md §3.1).
    files: ["**/*.ts"],
    ignores: ["libs/trust/src/pki/x509.ts"],
    rules: { "no-restricted-imports": ["error", { paths: X509_ONLY_IN_PKI }] },
  },
  {
    // The CLI's start-up time counts in the control-plane benchmark: it loads the certificate maker only with
    // import() in the commands that make keys or certificates (cluster init/join, user create).
    files: ["apps/cli/src/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [
            ...X509_ONLY_IN_PKI,
            {
              name: "@shoal/trust/pki",
              message: 'load it with `await import("@shoal/trust/pki")` in the commands that need it',
            },
          ],
        },
      ],
    },
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
