import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { commandTree, flattenCommands } from "./command-tree.js";
import { completionScript, COMPLETION_SHELLS } from "./completion.js";
import { runCliCaptured } from "./test-support.js";

// A small program with the awkward cases: nested subcommands, value options, quotes and colons in descriptions.
function toyProgram(): Command {
  const p = new Command("talform").option("--debug", "debug: it's loud");
  const sim = p.command("sim").description("simulated nodes");
  sim
    .command("up")
    .description("start 'em")
    .requiredOption("--spec <file>", "fleet spec")
    .option("--detach", "background");
  sim.command("down").description("stop: all of them");
  p.command("logs").description("logs").argument("<id>").option("-n, --nodes <ips>", "targets");
  p.command("secret", { hidden: true }).description("not shown");
  return p;
}

function shellQuoteBalanced(line: string): boolean {
  return (line.replaceAll(`'\\''`, "").split("'").length - 1) % 2 === 0;
}

async function bashComplete(script: string, words: string[], cwd: string): Promise<string[]> {
  const file = join(cwd, "c.bash");
  await writeFile(file, script);
  const array = words.map((w) => `'${w.replaceAll("'", `'\\''`)}'`).join(" ");
  const out = execFileSync(
    "bash",
    [
      "-c",
      `source ${file}; COMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; _talform; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { cwd, encoding: "utf8" },
  );
  return out
    .split("\n")
    .filter((l) => l !== "")
    .sort();
}

test("the tree has the visible commands and options, not hidden ones or commander's implicit help", () => {
  const tree = commandTree(toyProgram());
  assert.deepEqual(
    flattenCommands(tree).map((c) => c.path.join(" ")),
    ["talform", "talform sim", "talform sim up", "talform sim down", "talform logs"],
  );
  const up = tree.subcommands[0]!.subcommands[0]!;
  assert.deepEqual(
    up.options.map((o) => [o.names, o.takesValue]),
    [
      [["--spec"], true],
      [["--detach"], false],
      [["-h", "--help"], false],
    ],
  );
  assert.equal(tree.subcommands[1]!.takesArguments, true);
});

test("bash: the script parses and completes subcommands, options, option values and arguments", async () => {
  const dir = await mkdtemp(join(tmpdir(), "talform-completion-"));
  try {
    await writeFile(join(dir, "fleet.yaml"), "");
    const script = completionScript("bash", commandTree(toyProgram()));
    assert.equal(spawnSync("bash", ["-n"], { input: script }).status, 0);
    const cases: [string[], string[]][] = [
      [
        ["talform", ""],
        ["logs", "sim"],
      ],
      [["talform", "s"], ["sim"]],
      [
        ["talform", "sim", ""],
        ["down", "up"],
      ],
      [["talform", "--debug", "sim", "u"], ["up"]],
      [
        ["talform", "sim", "up", "--"],
        ["--detach", "--help", "--spec"],
      ],
      [["talform", "sim", "up", "--spec", "fl"], ["fleet.yaml"]],
      [
        ["talform", "logs", "-n", "sim", ""],
        ["c.bash", "fleet.yaml"],
      ], // -n consumed "sim"; logs takes a file-ish argument
      [["talform", "sim", "down", ""], []],
    ];
    for (const [words, expected] of cases)
      assert.deepEqual(await bashComplete(script, words, dir), expected, words.join(" "));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("zsh and fish: every command path and option is present, quotes balance, blocks close", () => {
  const tree = commandTree(toyProgram());
  for (const shell of COMPLETION_SHELLS) {
    const script = completionScript(shell, tree);
    for (const c of flattenCommands(tree)) {
      const quoted = shell === "fish" ? `\\'${c.path.join(" ")}\\'` : `'${c.path.join(" ")}'`;
      assert.ok(script.includes(quoted), `${shell}: ${c.path.join(" ")}`);
      for (const o of c.options)
        for (const n of o.names) assert.ok(script.includes(n.replace(/^--?/, "")), `${shell}: ${n}`);
    }
    assert.ok(!script.includes("secret"), `${shell}: hidden command leaked`);
  }
  const zsh = completionScript("zsh", tree);
  assert.match(zsh, /^#compdef talform\n/);
  assert.match(zsh, /'stop\\: all of them'|'down:stop: all of them'/);
  for (const line of zsh.split("\n")) assert.ok(shellQuoteBalanced(line), `zsh quotes: ${line}`);
  assert.equal(count(zsh, /^\s*case\b/gm), count(zsh, /^\s*esac\b/gm));

  const fish = completionScript("fish", tree);
  for (const line of fish.split("\n"))
    assert.ok(
      (line.replaceAll("\\\\", "").replaceAll("\\'", "").split("'").length - 1) % 2 === 0,
      `fish quotes: ${line}`,
    );
  const opens = count(fish, /^\s*(function|switch|for|if|while|begin)\b/gm);
  assert.equal(opens, count(fish, /^\s*end\b/gm));
  assert.match(fish, /complete -c talform -n '__talform_at \\'talform sim up\\'' -l 'spec' -r -F -d 'fleet spec'/);
  assert.match(fish, /-a 'up' -d 'start \\'em'/);
});

test("talform completion prints each shell's script for the real CLI; bash parses it", async () => {
  for (const shell of COMPLETION_SHELLS) {
    const r = await runCliCaptured(["completion", shell]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /'talform sim up'/);
    assert.match(r.stdout, /gensecret/);
    if (shell === "bash") assert.equal(spawnSync("bash", ["-n"], { input: r.stdout }).status, 0);
  }
  const bad = await runCliCaptured(["completion", "tcsh"]);
  assert.equal(bad.code, 64);
});

function has(shell: string): boolean {
  return spawnSync(shell, ["-c", "exit 0"]).status === 0;
}

// zsh and fish are not on every CI machine; where they are, the scripts are parsed and driven by the real shells.
test(
  "zsh and fish (when installed): the scripts parse and complete like bash",
  {
    skip: !has("zsh") && !has("fish") ? "neither zsh nor fish is installed (structural checks above still run)" : false,
  },
  async () => {
    const tree = commandTree(toyProgram());
    const dir = await mkdtemp(join(tmpdir(), "talform-completion-"));
    try {
      if (has("zsh")) {
        const file = join(dir, "c.zsh");
        await writeFile(file, completionScript("zsh", tree));
        assert.equal(spawnSync("zsh", ["-n", file]).status, 0);
        // Stubs print what the completion system would be offered.
        const stubs = `compdef() { :; }; _describe() { local -a arr; arr=("\${(@P)4}"); print -l -- "\${arr[@]%%:*}"; }; _files() { print FILES; }; compadd() { shift; print -l -- "$@"; }`;
        const zsh = (words: string[]) =>
          execFileSync(
            "zsh",
            [
              "-c",
              `${stubs}; source ${file}; words=(${words.map((w) => `'${w}'`).join(" ")}); CURRENT=${words.length}; _talform`,
            ],
            { encoding: "utf8" },
          )
            .split("\n")
            .filter((l) => l !== "")
            .sort();
        assert.deepEqual(zsh(["talform", "sim", ""]), ["down", "up"]);
        assert.deepEqual(zsh(["talform", "sim", "up", "--"]), ["--detach", "--help", "--spec", "-h"]);
        assert.deepEqual(zsh(["talform", "sim", "up", "--spec", ""]), ["FILES"]);
        assert.deepEqual(zsh(["talform", "--debug", "logs", ""]), ["FILES"]);
      }
      if (has("fish")) {
        const file = join(dir, "c.fish");
        await writeFile(file, completionScript("fish", tree));
        assert.equal(spawnSync("fish", ["-n", file]).status, 0);
        const fish = (line: string) =>
          execFileSync("fish", ["-c", `source ${file}; complete -C ${JSON.stringify(line)}`], {
            encoding: "utf8",
            cwd: dir,
          })
            .split("\n")
            .filter((l) => l !== "")
            .map((l) => l.split("\t")[0])
            .sort();
        assert.deepEqual(fish("talform sim "), ["down", "up"]);
        assert.deepEqual(fish("talform --debug sim u"), ["up"]);
        assert.deepEqual(fish("talform sim up --s"), ["--spec"]);
        assert.deepEqual(fish("talform logs -n x c.f"), ["c.fish"]);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
);

function count(s: string, re: RegExp): number {
  return s.match(re)?.length ?? 0;
}
