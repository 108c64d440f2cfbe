/** An in-memory file system for loader tests: `readFile` rejects with ENOENT like fs does. */
export function memFiles(files: Record<string, string>): (p: string) => Promise<string> {
  return async (p: string) => {
    const text = files[p];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file, open '${p}'`), { code: "ENOENT" });
    return text;
  };
}

/** A small valid talconfig (two control planes, one worker); tests derive variants by string replacement. */
export const BASE_TALCONFIG = `clusterName: lab
talosVersion: v1.13.9
kubernetesVersion: v1.35.0
endpoint: https://10.0.0.10:6443
nodes:
  - hostname: cp1
    ipAddress: 10.0.0.11
    controlPlane: true
    installDisk: /dev/sda
    networkInterfaces:
      - interface: eth0
        addresses: [10.0.0.11/24]
        routes: [{ network: 0.0.0.0/0, gateway: 10.0.0.1 }]
  - hostname: w1
    ipAddress: 10.0.0.21
    controlPlane: false
    installDisk: /dev/sda
    networkInterfaces:
      - interface: eth0
        addresses: [10.0.0.21/24]
`;
