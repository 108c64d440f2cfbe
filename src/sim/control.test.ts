import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { TalosClient } from "../talosapi/client.js";
import { runSimulator, STOP_TIMEOUT_MS } from "./control.js";
import { makeOsCA } from "./testing.js";

// Addresses 127.0.27.x are reserved for this file.
const NODE = "127.0.27.1";

test("stop is bounded while a client holds a stream open mid-request (issue 17: sim down means down)", async () => {
  const dir = await mkdtemp(join(tmpdir(), "talform-sim-stop-"));
  const osCA = await makeOsCA();
  const sim = await runSimulator(
    {
      clusterName: "stop",
      osCA,
      nodes: [{ hostname: "m1", address: NODE, controlPlane: true, talosVersion: "v1.13.9" }],
    },
    { stateDir: dir, timeScale: 0.01, seed: 1 },
  );
  const client = new TalosClient({
    endpoints: [],
    nodes: [NODE],
    credentials: { kind: "maintenance" },
    env: { TALFORM_LOOPBACK_ONLY: "1" },
    retryAttempts: 1,
  });
  try {
    // A watch that never ends by itself: the server is in the middle of answering it when the stop comes.
    // The stop waits for its first message (not a fixed sleep, which a loaded machine outlasts).
    const ac = new AbortController();
    let first: () => void = () => {};
    const delivered = new Promise<void>((r) => (first = r));
    const watching = (async () => {
      let n = 0;
      try {
        for await (const _ of client.watchResources(NODE, "runtime", "MachineStatuses.runtime.talos.dev", {
          signal: ac.signal,
        })) {
          n++;
          first();
        }
      } catch {
        // the stream breaks when the simulator goes away
      }
      return n;
    })();
    // Unref'd fallbacks: a pending timer would keep this file's process alive for its whole length after the test.
    await Promise.race([delivered, new Promise((r) => setTimeout(r, 10_000).unref())]);
    const t0 = Date.now();
    await sim.stop();
    await sim.done;
    assert.ok(Date.now() - t0 < STOP_TIMEOUT_MS + 1000, `stop took ${Date.now() - t0} ms`);
    const seen = await Promise.race([
      watching,
      new Promise<string>((r) => setTimeout(() => r("still open"), 5000).unref()),
    ]);
    ac.abort();
    assert.notEqual(seen, "still open", "the client's stream was not ended by the stop");
    assert.ok((seen as number) >= 1, "the watch delivered the current state before the stop");
    const [v] = await client.version();
    assert.ok(v?.error, "the node still answers after stop");
  } finally {
    client.close();
    await rm(dir, { recursive: true, force: true });
  }
});
