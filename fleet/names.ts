/**
 * The fleet's names in Redis: one BullMQ queue per device class, and the keys of the workers'
 * registry and of the results (kloop:fleet:…). A device class is what a coordinator sends work to
 * ("cpu", "cuda", "h100"): the workers that serve it should be the same kind of device, since a
 * target is tuned per class.
 */
export const CLASS_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** BullMQ's key prefix for kloop's queues (its own keys are `kloop:<queue>:…`). */
export const QUEUE_PREFIX = 'kloop';

/** The queue of one device class. */
export const queueName = (deviceClass: string): string => `class-${deviceClass}`;

export const KEYS = {
  /** Sorted set: worker id → its last heartbeat (epoch ms). */
  workers: 'kloop:fleet:workers',
  /** A worker's record (JSON): its class, descriptor, what it runs, its last heartbeat. */
  worker: (id: string) => `kloop:fleet:worker:${id}`,
  /** Set: every device class a worker served or a coordinator sent to. */
  classes: 'kloop:fleet:classes',
  /** A job's result (JSON), by result key: written once (the first to finish), read by the coordinator. */
  result: (key: string) => `kloop:fleet:result:${key}`,
} as const;

/** How long a result is kept (a resumed coordinator picks it up): a week. */
export const RESULT_TTL_S = 7 * 24 * 3600;
