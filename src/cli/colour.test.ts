import { test } from "node:test";
import assert from "node:assert/strict";
import { colourEnabled, colourStream, paint } from "./colour.js";
/* eslint-disable no-control-regex -- these tests look for the ANSI escape codes themselves */
import { runCli } from "./program.js";

const tty = { isTTY: true };
const pipe = { isTTY: false };

test("colour: on a TTY, off when piped; NO_COLOR turns it off, FORCE_COLOR on; TERM=dumb is plain", () => {
  const table: [Record<string, string>, { isTTY: boolean }, boolean][] = [
    [{}, tty, true],
    [{}, pipe, false],
    [{ NO_COLOR: "1" }, tty, false],
    [{ NO_COLOR: "" }, tty, true],
    [{ FORCE_COLOR: "1" }, pipe, true],
    [{ FORCE_COLOR: "0" }, tty, true],
    [{ FORCE_COLOR: "0" }, pipe, false],
    [{ FORCE_COLOR: "1", NO_COLOR: "1" }, pipe, true],
    [{ TERM: "dumb" }, tty, false],
  ];
  for (const [env, stream, want] of table)
    assert.equal(colourEnabled(env, stream), want, `${JSON.stringify(env)} tty=${stream.isTTY}`);
});

test("paint colours severities, hints and verdicts, and leaves JSON alone", () => {
  assert.equal(
    paint("error[usage]: bad\n  hint: do this\n"),
    "\x1b[1m\x1b[31merror[usage]:\x1b[39m\x1b[22m bad\n  \x1b[36mhint:\x1b[39m do this\n",
  );
  assert.match(
    paint("    t.yaml:8:5: warning[nameservers]: none\n"),
    /t\.yaml:8:5: \x1b\[33mwarning\[nameservers\]:\x1b\[39m none/,
  );
  assert.match(paint("OK    node-side HealthCheck\n"), /^\x1b\[32mOK\x1b\[39m/);
  assert.equal(paint('{"error": "x"}\n'), '{"error": "x"}\n');
});

test("the CLI paints a TTY and writes plain text to a pipe", async () => {
  const run = async (isTTY: boolean, env: Record<string, string> = {}) => {
    let err = "";
    await runCli(["no-such-command"], {
      stdout: { write: () => true, isTTY },
      stderr: { write: (s: string) => (err += s), isTTY },
      env,
      cwd: "/",
    });
    return err;
  };
  assert.match(await run(true), /\x1b\[31merror:/);
  assert.doesNotMatch(await run(false), /\x1b\[/);
  assert.doesNotMatch(await run(true, { NO_COLOR: "1" }), /\x1b\[/);
  const s = colourStream({}, { write: (c: string) => c, isTTY: true });
  assert.equal(s.isTTY, true);
});
