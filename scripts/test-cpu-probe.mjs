// Preloaded into every test file's process by run-tests.mjs: when the file's process exits, it records the CPU seconds
// the file cost — its own plus those of the processes it waited for (CLI children, oracles) — so the summary can name
// the slowest files by CPU as well as by wall time (wall alone says little on a shared, loaded machine).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.env.TALFORM_TEST_CPU_DIR;
const file = process.argv[1] ?? "";
// Only the test file's own process: children it starts with process.execArgv load this module too.
if (dir && /\.test\.[cm]?[jt]s$/.test(file)) {
  process.on("exit", () => {
    const self = process.resourceUsage();
    let children = 0;
    try {
      // /proc/self/stat fields 16 and 17 (after the parenthesised name): cutime and cstime of waited-for children,
      // in clock ticks (100 per second on Linux). Elsewhere children count 0.
      const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
      children = (Number(fields[13]) + Number(fields[14])) / 100;
    } catch {
      // not Linux
    }
    const cpu = (self.userCPUTime + self.systemCPUTime) / 1e6 + children;
    try {
      writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify({ file, cpu }));
    } catch {
      // A missing record only shortens the summary's list; it must never fail the test file.
    }
  });
}
