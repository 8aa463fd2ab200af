import type { AcpDescriptor } from './schema.js';

/**
 * One device in a listing: its descriptor, or (a device whose profile is not measured yet) what
 * identifies it and why there is no descriptor. `source` says where it is: "local", "worker gpu-3".
 */
export type ListedDevice = { source: string; descriptor: AcpDescriptor } | { source: string; unmeasured: { id: string; kind: string; model: string }; why: string };

/**
 * The devices `kloop devices` lists: this machine's, then, in a fleet, every worker's. `fleet` is
 * the seam for the fleet's coordinator: it answers the workers' published descriptors, each read
 * with parseDescriptor(json, `worker NAME`). Without a fleet, only the local devices.
 */
export async function listDevices(o: { local: () => Promise<ListedDevice[]>; fleet?: () => Promise<ListedDevice[]> }): Promise<ListedDevice[]> {
  const local = await o.local();
  return o.fleet ? [...local, ...(await o.fleet())] : local;
}
