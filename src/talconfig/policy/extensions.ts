/**
 * A short built-in list of official Talos system extensions, used when the Image Factory's catalogue is not passed
 * in (`PolicyContext.knownExtensions`). It covers the seed cluster's extensions and the most common ones; anything
 * else only warns (`extension-name`).
 */
export const BUILTIN_EXTENSIONS: ReadonlySet<string> = new Set(
  [
    "amd-ucode",
    "amdgpu",
    "bnx2-bnx2x",
    "btrfs",
    "drbd",
    "gasket-driver",
    "i915",
    "intel-ice-firmware",
    "intel-ucode",
    "iscsi-tools",
    "mei",
    "nfsd",
    "nonfree-kmod-nvidia-lts",
    "nonfree-kmod-nvidia-production",
    "nut-client",
    "nvidia-container-toolkit-lts",
    "nvidia-container-toolkit-production",
    "nvidia-fabricmanager-lts",
    "nvidia-fabricmanager-production",
    "nvidia-open-gpu-kernel-modules-lts",
    "nvidia-open-gpu-kernel-modules-production",
    "qemu-guest-agent",
    "realtek-firmware",
    "tailscale",
    "thunderbolt",
    "util-linux-tools",
    "zfs",
  ].map((n) => `siderolabs/${n}`),
);
