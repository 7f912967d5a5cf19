import { createHash, hash, timingSafeEqual } from 'node:crypto'

/**
 * API keys are kept only as SHA-256 digests and compared in constant time against every stored digest,
 * so neither a memory dump nor response timing reveals a key.
 */
export class KeyRing {
  private readonly digests: Buffer[]
  constructor(keys: readonly string[]) {
    this.digests = keys.map((k) => createHash('sha256').update(k).digest())
  }
  get size(): number {
    return this.digests.length
  }
  verify(authorization: string | undefined): boolean {
    if (authorization === undefined || !authorization.startsWith('Bearer ')) return false
    // the one-shot hash: createHash builds an object per call, on every request
    const d = hash('sha256', authorization.slice(7).trim(), 'buffer')
    let ok = false
    for (const known of this.digests) ok = timingSafeEqual(known, d) || ok
    return ok
  }
}
