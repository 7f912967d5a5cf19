/**
 * Keys one entity's call may touch per event on a cluster (one per counter, plus the account memory).
 * Each count needs a command variant defined up front, and ioredis copies them all into every pipeline.
 */
export const MAX_KEYS_PER_SLOT_CALL = 16
