import { resolve } from "node:path";
import type { CommandDefiner } from "./index.js";

export const defineAge: CommandDefiner = (program, ctx) => {
  const age = program.command("age").description("age keys for SOPS without the age binary");
  age
    .command("keygen")
    .description(
      "create an age identity where sops looks for it (~/.config/sops/age/keys.txt, 0600) unless you have one; print its public key",
    )
    .option("--out <file>", "write the new identity to this file instead (never overwritten)")
    .action(async (opts: { out?: string }) => {
      const [{ existingRecipients, ageIdentityLocations }, { writeNewAgeKey }, { nodeInitFs }] = await Promise.all([
        import("../../sops/index.js"),
        import("../../init/index.js"),
        import("./init.js"),
      ]);
      const fs = await nodeInitFs();
      if (!opts.out) {
        const have = await existingRecipients(ctx.env, fs.read);
        if (have.length > 0) {
          const where = ageIdentityLocations(ctx.env);
          const from = [where.envKey ? "SOPS_AGE_KEY" : "", where.keyFile ?? "", where.defaultFile ?? ""]
            .filter(Boolean)
            .join(", ");
          ctx.stderr.write(
            `you have ${have.length} age identit${have.length === 1 ? "y" : "ies"} already (looked in ${from}); no new key written\n`,
          );
          ctx.stdout.write(`${have.join("\n")}\n`);
          return;
        }
      }
      const key = await writeNewAgeKey(ctx.env, fs, new Date(), opts.out ? resolve(ctx.cwd, opts.out) : undefined);
      ctx.stderr.write(`wrote ${key.newKeyFile} (0600): back it up; whoever has it can decrypt your secrets\n`);
      ctx.stdout.write(`${key.recipient}\n`);
    });
};
