// Preloaded by bench/plan.ts (`node --import`) into each measured `talform plan`: prints the process's peak resident
// set size when it exits, so the figure is that command's alone.
process.on("exit", () => process.stderr.write(`talform-peak-rss-kib: ${process.resourceUsage().maxRSS}\n`));
