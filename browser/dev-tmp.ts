import { startLab, startUiProcess, talform, waitExit, talconfigText } from "./support.js";
import { writeFile } from "node:fs/promises";
const lab = await startLab("v1.12.11", "1.35.4", 0.05);
const ui = await startUiProcess(lab.dir);
console.log("URL", ui.url);
const a = talform(["apply", "--yes"], lab.dir);
console.log("apply exit", await waitExit(a));
await writeFile(lab.talconfig, talconfigText("v1.13.9", "1.35.4"));
console.log("READY");
process.on("SIGTERM", async () => {
  console.log(ui.output());
  await ui.stop();
  await lab.fleet.stop();
  process.exit(0);
});
setInterval(() => {}, 1000);
