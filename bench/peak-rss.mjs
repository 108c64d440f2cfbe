// Preloaded by bench/plan.ts (`node --import`) into each measured `talform plan`: prints the process's peak resident
// set size and its CPU time (user + system) when it exits, so the figures are that command's alone.
process.on("exit", () => {
  const { maxRSS, userCPUTime, systemCPUTime } = process.resourceUsage();
  process.stderr.write(`talform-peak-rss-kib: ${maxRSS}\ntalform-cpu-us: ${userCPUTime + systemCPUTime}\n`);
});
