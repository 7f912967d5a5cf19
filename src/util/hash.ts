import { createHmac } from 'node:crypto'

export type Hasher = (kind: string, value: string) => string

/**
 * Keyed hashing for identifiers, so that neither Redis keys nor logs carry raw PII, and a leaked key
 * space cannot be reversed by hashing a phone-number dictionary without the secret.
 * The kind is mixed in so that an email and an account id with the same text never collide.
 */
export function makeHasher(secret: string): Hasher {
  return (kind, value) => createHmac('sha256', secret).update(kind).update('\0').update(value).digest('base64url').slice(0, 22)
}
