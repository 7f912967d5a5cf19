/** Keys one event's call may touch on a single node (every counter key, the account, the claim). */
export const MAX_KEYS_PER_CALL = 128
/**
 * Keys one entity's call may touch per event on a cluster (its counters' windows and its account memory).
 * Each count needs a command variant defined up front, and ioredis copies them all into every pipeline.
 */
export const MAX_KEYS_PER_SLOT_CALL = 16
