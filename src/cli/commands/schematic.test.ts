import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Readable } from "node:stream";
import { runCli } from "../program.js";
import { runCliCaptured } from "../test-support.js";
import { testTempDir } from "../../util/test-temp.js";

describe("talform schematic", () => {
  it("id prints the offline ID of a file", async () => {
    const dir = await testTempDir("talform-schematic-");
    await writeFile(join(dir, "s.yaml"), "customization:\n  extraKernelArgs:\n    - net.ifnames=0\n");
    const r = await runCliCaptured(["schematic", "id", "s.yaml"], { cwd: dir });
    assert.equal(r.stderr, "");
    assert.equal(r.code, 0);
    assert.equal(r.stdout, "6905bc709e5947573a4ec2d11723b58882936d3d0e15c708f7d78f0c689684a5\n");
  });
  it("canonical prints the hashed YAML", async () => {
    const dir = await testTempDir("talform-schematic-");
    await writeFile(join(dir, "s.json"), '{"overlay": {"name": "rpi_generic", "image": "siderolabs/sbc-raspberrypi"}}');
    const r = await runCliCaptured(["schematic", "canonical", "s.json"], { cwd: dir });
    assert.equal(
      r.stdout,
      "overlay:\n    image: siderolabs/sbc-raspberrypi\n    name: rpi_generic\ncustomization: {}\n",
    );
  });
  it("an invalid schematic is a user error (1) with the field named", async () => {
    const dir = await testTempDir("talform-schematic-");
    await writeFile(join(dir, "bad.yaml"), "customization:\n  extensions: [x]\n");
    const r = await runCliCaptured(["schematic", "id", "bad.yaml"], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.yaml: schematic customization: unknown field "extensions"/);
    assert.match(r.stderr, /hint: known fields here/);
  });
  it("a missing file is a user error", async () => {
    const r = await runCliCaptured(["schematic", "id", "nope.yaml"], { cwd: tmpdir() });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot read nope\.yaml: ENOENT/);
  });
  it("id reads stdin for - (and by default)", async () => {
    for (const argv of [
      ["schematic", "id", "-"],
      ["schematic", "id"],
    ]) {
      let stdout = "";
      const code = await runCli(argv, {
        stdout: { write: (s: string) => (stdout += s) },
        stderr: { write: () => true },
        stdin: Readable.from([Buffer.from("{}")]),
        env: {},
        cwd: tmpdir(),
      });
      assert.equal(code, 0);
      assert.equal(stdout, "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba\n");
    }
  });
  it("id --online POSTs to the configured factory (a loopback fake) and checks the ID", async () => {
    const bodies: string[] = [];
    let lie = false;
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString("utf8")));
      req.on("end", () => {
        bodies.push(`${req.method} ${req.url} ${body}`);
        const id = lie ? "0".repeat(64) : createHash("sha256").update(body).digest("hex");
        res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify({ id }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = (server.address() as AddressInfo).port;
      const dir = await testTempDir("talform-schematic-");
      await writeFile(join(dir, "s.yaml"), "customization: {}\n");
      const argv = [
        "schematic",
        "id",
        "s.yaml",
        "--online",
        "--protocol",
        "http",
        "--registry-url",
        `127.0.0.1:${port}`,
      ];
      const ok = await runCliCaptured(argv, { cwd: dir });
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout, "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba\n");
      assert.deepEqual(bodies, ["POST /schematics customization: {}\n"]);
      lie = true;
      const bad = await runCliCaptured(argv, { cwd: dir });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /returned schematic ID 0{64}, but talform computed 3765/);
    } finally {
      server.close();
    }
  });
});
