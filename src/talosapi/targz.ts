import { gunzipSync, gzipSync } from "node:zlib";

/**
 * The Kubeconfig RPC streams a gzipped tar holding one file named `kubeconfig` (talosctl's
 * `ExtractFileFromTarGz("kubeconfig", …)`). Only single regular files are needed, so this writes and reads plain
 * ustar headers directly instead of pulling in a tar library.
 */
export function tarGzSingleFile(name: string, data: Uint8Array, mtime: Date): Uint8Array {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, "utf8");
  header.write("0000600\0", 100, "ascii");
  header.write("0000000\0", 108, "ascii");
  header.write("0000000\0", 116, "ascii");
  header.write(data.length.toString(8).padStart(11, "0") + "\0", 124, "ascii");
  header.write(
    Math.floor(mtime.getTime() / 1000)
      .toString(8)
      .padStart(11, "0") + "\0",
    136,
    "ascii",
  );
  header.write("        ", 148, "ascii");
  header.write("0", 156, "ascii");
  header.write("ustar\0" + "00", 257, "ascii");
  let sum = 0;
  for (const b of header) sum += b;
  header.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "ascii");
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return new Uint8Array(gzipSync(Buffer.concat([header, Buffer.from(data), pad, Buffer.alloc(1024)])));
}

export function extractFileFromTarGz(name: string, archive: Uint8Array): Uint8Array {
  const tar = gunzipSync(archive);
  let off = 0;
  while (off + 512 <= tar.length) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const entry = header.subarray(0, 100).toString("utf8").replace(/\0.*$/s, "");
    const size = parseInt(header.subarray(124, 136).toString("ascii").replace(/\0.*$/s, "").trim() || "0", 8);
    const body = tar.subarray(off + 512, off + 512 + size);
    if (entry === name || entry === `./${name}`) return new Uint8Array(body);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`file "${name}" not found in the archive`);
}
