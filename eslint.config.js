// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "dist-check/**",
      "node_modules/**",
      ".cache/**",
      "src/gen/**",
      "conformance/oracle/**",
      "coverage/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "off",
    },
  },
  {
    // The core never knows the terminal: only src/cli (and the package root, which re-exports runCli) may import from
    // it. Tests are exempt: the end-to-end tests beside a stage drive the CLI through src/cli/test-support.ts.
    files: ["src/**/*.ts"],
    ignores: ["src/cli/**", "src/index.ts", "src/**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/cli/*", "**/cli"],
              message: "core folders must not import src/cli; move CLI glue under src/cli",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
  },
);
