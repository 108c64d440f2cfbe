/** PEM framing with the exact labels Talos writes (it accepts these and generic `PRIVATE KEY` when reading). */
export type PemLabel =
  "CERTIFICATE" | "EC PRIVATE KEY" | "ED25519 PRIVATE KEY" | "RSA PRIVATE KEY" | "PRIVATE KEY" | "PUBLIC KEY";

export function encodePem(label: PemLabel, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

export interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
}

/** Decodes every PEM block of a text, in order. Text outside blocks is ignored, like Go's pem.Decode loop. */
export function decodePemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
  for (const m of text.matchAll(re)) {
    blocks.push({ label: m[1]!, der: new Uint8Array(Buffer.from(m[2]!.replace(/\s+/g, ""), "base64")) });
  }
  return blocks;
}

export function decodePem(text: string, label?: string): PemBlock {
  const block = decodePemBlocks(text).find((b) => label === undefined || b.label === label);
  if (!block) throw new Error(label ? `no "${label}" PEM block found` : "no PEM block found");
  return block;
}
