/**
 * The etcd release a Talos minor runs by default (`constants.DefaultEtcdVersion` of its machinery; 1.12 from the
 * v1.12.12 release notes). Minors without an entry take the nearest older one.
 */
export const DEFAULT_ETCD_VERSIONS: readonly (readonly [minor: number, etcd: string])[] = [
  [3, "3.5.7"],
  [12, "3.6.14"],
  [13, "3.6.12"],
  [14, "3.7.1"],
];
