import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { canonicalSchematicYaml, EMPTY_SCHEMATIC_ID, parseSchematic, schematicId } from "../../factory/index.js";
import { runCliCaptured } from "../test-support.js";

// A talconfig exercising what the adapter maps: group schematics, a node's own schematic with source-text scalars,
// imageSchematic, machineSpec, talosImageURL, filenameTmpl, comma-separated ipAddress and ${VAR} substitution.
const TALCONFIG = `clusterName: demo
talosVersion: v1.12.3
kubernetesVersion: v1.34.1
endpoint: https://10.0.0.1:6443
nodes:
  - hostname: cp1
    ipAddress: 10.0.0.1
    controlPlane: true
    installDisk: /dev/sda
    schematic:
      customization:
        extraKernelArgs: [net.ifnames=0]
  - hostname: w1
    ipAddress: 10.0.0.2, 10.0.0.3
    installDisk: /dev/sda
    filenameTmpl: "{{.Role}}-{{.Hostname}}.yaml"
    machineSpec: {arch: arm64, secureboot: true}
  - hostname: w2
    ipAddress: 10.0.0.4
    installDisk: /dev/sda
    talosImageURL: registry.lan/talos/installer
    imageSchematic:
      customization:
        meta:
          - key: 10
            value: 1.0
worker:
  schematic:
    customization:
      systemExtensions:
        officialExtensions: [siderolabs/\${EXT}]
`;

const NET_IFNAMES_ID = "6905bc709e5947573a4ec2d11723b58882936d3d0e15c708f7d78f0c689684a5";
const WORKER = "customization:\n  systemExtensions:\n    officialExtensions: [siderolabs/iscsi-tools]\n";
const workerId = schematicId(parseSchematic(WORKER));
const metaId = schematicId(parseSchematic("customization:\n  meta:\n    - key: 10\n      value: 1.0\n"));

let dir: string;
const run = (...argv: string[]) => runCliCaptured(argv, { cwd: dir, env: { EXT: "iscsi-tools" } });

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "talform-genurl-"));
  await writeFile(join(dir, "talconfig.yaml"), TALCONFIG);
});
after(() => rm(dir, { recursive: true, force: true }));

describe("talform genurl with a talconfig", () => {
  it("installer: one line per node (schematic merged from the group, talosImageURL wins)", async () => {
    const r = await run("genurl", "installer");
    assert.equal(r.stderr, "");
    assert.equal(r.code, 0);
    assert.equal(
      r.stdout,
      `cp1: factory.talos.dev/metal-installer/${NET_IFNAMES_ID}:v1.12.3\n` +
        `w1: factory.talos.dev/metal-installer-secureboot/${workerId}:v1.12.3\n` +
        "w2: registry.lan/talos/installer:v1.12.3\n",
    );
  });

  it("image: machineSpec per node, imageSchematic before schematic", async () => {
    const r = await run("genurl", "image", "--offline-mode");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      `cp1: https://factory.talos.dev/image/${NET_IFNAMES_ID}/v1.12.3/metal-amd64.iso\n` +
        `w1: https://factory.talos.dev/image/${workerId}/v1.12.3/metal-arm64-secureboot.iso\n` +
        `w2: https://factory.talos.dev/image/${metaId}/v1.12.3/metal-amd64.iso\n`,
    );
  });

  it("-n selects by hostname or address and prints the bare URL", async () => {
    assert.equal(
      (await run("genurl", "installer", "-n", "cp1")).stdout,
      `factory.talos.dev/metal-installer/${NET_IFNAMES_ID}:v1.12.3\n`,
    );
    assert.equal(
      (await run("genurl", "image", "-n", "10.0.0.3")).stdout,
      `https://factory.talos.dev/image/${workerId}/v1.12.3/metal-arm64-secureboot.iso\n`,
    );
  });

  it("an unknown -n is a user error", async () => {
    const r = await run("genurl", "installer", "-n", "nope");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Node with IP address or hostname of nope is not found/);
  });

  it("an unset variable is reported with its location, exit 1", async () => {
    const r = await runCliCaptured(["genurl", "installer"], { cwd: dir, env: {} });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /talconfig\.yaml:\d+:\d+: error\[TF1010\].*EXT/);
  });

  it("--env-file supplies variables", async () => {
    await writeFile(join(dir, "vars.env"), "EXT=iscsi-tools\n");
    const r = await runCliCaptured(["genurl", "installer", "-n", "w1", "--env-file", "vars.env"], {
      cwd: dir,
      env: {},
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `factory.talos.dev/metal-installer-secureboot/${workerId}:v1.12.3\n`);
  });

  it("an invalid schematic in talconfig names the document path", async () => {
    const sub = await mkdtemp(join(dir, "bad-"));
    await writeFile(
      join(sub, "talconfig.yaml"),
      TALCONFIG.replace("extraKernelArgs: [net.ifnames=0]", "bootloader: grub2"),
    );
    const r = await runCliCaptured(["genurl", "installer"], { cwd: sub, env: { EXT: "x" } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /nodes\[0\]\.schematic: schematic customization\.bootloader/);
  });
});

describe("talform genurl without a talconfig (flags, as talhelper)", () => {
  // An empty folder of its own: "-c none.yaml" must name a file that does not exist.
  let empty = "";
  before(async () => void (empty = await mkdtemp(join(tmpdir(), "talform-genurl-flags-"))));
  after(async () => rm(empty, { recursive: true, force: true }));
  const flagsRun = (...argv: string[]) => runCliCaptured(argv, { cwd: empty, env: {} });

  it("installer from -e/-k/-m/--secure-boot/--talos-version", async () => {
    const r = await flagsRun(
      "genurl",
      "installer",
      "-c",
      "none.yaml",
      "--kernel-arg",
      "net.ifnames=0",
      "--talos-mode",
      "aws",
      "--secure-boot",
      "--talos-version",
      "v1.11.2",
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `factory.talos.dev/aws-installer-secureboot/${NET_IFNAMES_ID}:v1.11.2\n`);
    const e = await flagsRun(
      "genurl",
      "installer",
      "-c",
      "none.yaml",
      "--extension",
      "siderolabs/iscsi-tools",
      "-r",
      "factory.lan",
      "--talos-version",
      "v1.12.3",
    );
    assert.equal(e.stdout, `factory.lan/metal-installer/${workerId}:v1.12.3\n`);
  });

  it("image from -a/--boot-method/--suffix; --secureboot is accepted as --secure-boot", async () => {
    const r = await flagsRun(
      "genurl",
      "image",
      "-c",
      "none.yaml",
      "-a",
      "arm64",
      "--boot-method",
      "disk-image",
      "--suffix",
      "raw.xz",
      "--talos-version",
      "v1.12.3",
    );
    assert.equal(r.stdout, `https://factory.talos.dev/image/${EMPTY_SCHEMATIC_ID}/v1.12.3/metal-arm64.raw.xz\n`);
    const u = await flagsRun(
      "genurl",
      "image",
      "-c",
      "none.yaml",
      "--secureboot",
      "--use-uki",
      "--talos-version",
      "v1.12.3",
    );
    assert.equal(
      u.stdout,
      `https://factory.talos.dev/image/${EMPTY_SCHEMATIC_ID}/v1.12.3/metal-amd64-secureboot-uki.efi\n`,
    );
  });

  it("rejects an unknown boot method as a usage error", async () => {
    const r = await flagsRun("genurl", "image", "-c", "none.yaml", "--boot-method", "floppy");
    assert.equal(r.code, 64);
    assert.match(r.stderr, /invalid --boot-method floppy/);
  });

  it("--customization-file wins over a talconfig", async () => {
    await writeFile(join(dir, "custom.yaml"), WORKER);
    const r = await run("genurl", "installer", "--customization-file", "custom.yaml", "--talos-version", "v1.13.0");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `factory.talos.dev/metal-installer/${workerId}:v1.13.0\n`);
  });
});

describe("talform genurl --online", () => {
  it("POSTs each node's schematic to the configured factory and checks the ID", async () => {
    const posted: string[] = [];
    let answer = (body: string) => schematicId(parseSchematic(body));
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        posted.push(`${req.method} ${req.url} ${body}`);
        res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify({ id: answer(body) }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    try {
      const sub = await mkdtemp(join(dir, "online-"));
      await writeFile(
        join(sub, "talconfig.yaml"),
        `${TALCONFIG}imageFactory:\n  registryURL: 127.0.0.1:${port}\n  protocol: http\n`,
      );
      const r = await runCliCaptured(["genurl", "installer", "--online", "-n", "cp1"], {
        cwd: sub,
        env: { EXT: "iscsi-tools" },
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `127.0.0.1:${port}/metal-installer/${NET_IFNAMES_ID}:v1.12.3\n`);
      assert.ok(posted.length >= 1);
      assert.ok(posted.every((p) => p.startsWith("POST /schematics ")));
      assert.ok(
        posted.some((p) =>
          p.endsWith(canonicalSchematicYaml(parseSchematic("customization:\n  extraKernelArgs: [net.ifnames=0]\n"))),
        ),
      );

      answer = () => "f".repeat(64);
      const bad = await runCliCaptured(["genurl", "installer", "--online"], { cwd: sub, env: { EXT: "iscsi-tools" } });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /returned schematic ID f{64}, but talform computed/);
    } finally {
      server.close();
    }
  });
});

describe("talform schematic show", () => {
  it("prints the node's canonical schematic and its ID on stderr", async () => {
    const r = await run("schematic", "show", "-n", "w1");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, canonicalSchematicYaml(parseSchematic(WORKER)));
    assert.equal(r.stderr, `schematic ID ${workerId}\n`);
  });

  it('keeps scalars\' source text (meta value 1.0 stays the string "1.0")', async () => {
    const r = await run("schematic", "show", "-n", "w2", "--image");
    assert.equal(r.stdout, 'customization:\n    meta:\n        - key: 10\n          value: "1.0"\n');
    assert.equal((await run("schematic", "show", "-n", "10.0.0.4", "--image", "--id")).stdout, `${metaId}\n`);
  });

  it("a node without a schematic has the empty schematic", async () => {
    const sub = await mkdtemp(join(dir, "plain-"));
    await writeFile(join(sub, "talconfig.yaml"), TALCONFIG.replace(/worker:\n[\s\S]*$/, ""));
    const r = await runCliCaptured(["schematic", "show", "-n", "w1", "--id"], { cwd: sub, env: {} });
    assert.equal(r.stdout, `${EMPTY_SCHEMATIC_ID}\n`);
  });

  it("an unknown node lists the known ones", async () => {
    const r = await run("schematic", "show", "-n", "zz");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /hint: pass one of: cp1, w1, w2/);
  });
});
