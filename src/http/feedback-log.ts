import { appendFile, mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { FeedbackRequest } from '../events/schemas.js'

export class FeedbackUnavailable extends Error {
  constructor(file: string, cause: unknown) {
    super(`cannot append to FEEDBACK_FILE ${file}: ${(cause as Error).message ?? String(cause)}`, { cause })
    this.name = 'FeedbackUnavailable'
  }
}

/**
 * Labels are appended as NDJSON (one object per line), the format replay and training read. Appends are
 * serialised so lines never interleave; a failed one fails only its own request (503), and the next append
 * tries again, so the log recovers by itself once the file is writable.
 */
export class FeedbackLog {
  private chain: Promise<void> = Promise.resolve()
  private dirReady = false
  constructor(private readonly file: string) {}

  append(f: FeedbackRequest, receivedAt: Date): Promise<void> {
    const line = JSON.stringify({ ...f, received_at: receivedAt.toISOString() }) + '\n'
    const run = this.chain.then(async () => {
      if (!this.dirReady) {
        await mkdir(dirname(this.file), { recursive: true })
        this.dirReady = true
      }
      await appendFile(this.file, line, 'utf8')
    })
    this.chain = run.catch(() => {})
    return run.catch((err: unknown) => {
      throw new FeedbackUnavailable(this.file, err)
    })
  }
}
