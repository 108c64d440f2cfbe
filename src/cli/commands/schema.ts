import type { CommandDefiner } from "./index.js";

export const defineSchema: CommandDefiner = (program, ctx) => {
  program
    .command("schema")
    .description("print the JSON Schema of talconfig.yaml (for # yaml-language-server: $schema=...)")
    .action(async () => {
      const { talconfigJsonSchemaText } = await import("../../talconfig/index.js");
      ctx.stdout.write(talconfigJsonSchemaText());
    });
};
