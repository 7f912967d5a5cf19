import { appendFile, mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { FeedbackRequest } from '../events/schemas.js'

/** Labels are appended as NDJSON (one object per line), the format replay and training read. */
export class FeedbackLog {
  private chain: Promise<void> = Promise.resolve()
  private ready: Promise<unknown>
  constructor(private readonly file: string) {
    this.ready = mkdir(dirname(file), { recursive: true })
  }
  append(f: FeedbackRequest, receivedAt: Date): Promise<void> {
    const line = JSON.stringify({ ...f, received_at: receivedAt.toISOString() }) + '\n'
    // Serialised so lines never interleave.
    this.chain = this.chain.then(async () => {
      await this.ready
      await appendFile(this.file, line, 'utf8')
    })
    return this.chain
  }
}
