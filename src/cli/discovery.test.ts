import { test } from "node:test";
import assert from "node:assert/strict";
import { discoverTalconfig } from "./discovery.js";

// Table: the files that exist, the folder the command runs in, the talconfig it should use.
const CASES: readonly { name: string; files: readonly string[]; cwd: string; want: string | undefined }[] = [
  {
    name: "./talconfig.yaml first",
    files: ["/r/.git", "/r/talconfig.yaml", "/r/iac/talos/talconfig.yaml"],
    cwd: "/r",
    want: "/r/talconfig.yaml",
  },
  {
    name: "the seed's layout from the repo root",
    files: ["/r/.git", "/r/iac/talos/talconfig.yaml"],
    cwd: "/r",
    want: "/r/iac/talos/talconfig.yaml",
  },
  {
    name: "a parent folder inside the repo",
    files: ["/r/.git", "/r/iac/talos/talconfig.yaml"],
    cwd: "/r/iac/talos/patches",
    want: "/r/iac/talos/talconfig.yaml",
  },
  {
    name: "the seed's layout at the git root from deep inside",
    files: ["/r/.git", "/r/iac/talos/talconfig.yaml"],
    cwd: "/r/docs/x",
    want: "/r/iac/talos/talconfig.yaml",
  },
  { name: "never above the git root", files: ["/talconfig.yaml", "/r/.git"], cwd: "/r/sub", want: undefined },
  {
    name: "outside a repository only the current folder",
    files: ["/tmp/talconfig.yaml"],
    cwd: "/tmp/x",
    want: undefined,
  },
  {
    name: "outside a repository the current folder's seed layout",
    files: ["/tmp/x/iac/talos/talconfig.yaml"],
    cwd: "/tmp/x",
    want: "/tmp/x/iac/talos/talconfig.yaml",
  },
];

for (const c of CASES) {
  test(`config discovery: ${c.name}`, () => {
    const files = new Set(c.files);
    assert.equal(
      discoverTalconfig(c.cwd, (p) => files.has(p)),
      c.want,
    );
  });
}
