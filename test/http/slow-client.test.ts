import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { createRuntime } from '../../src/runtime.js'
import { AUTH, testConfig } from '../helpers.js'

/** Everything the server sends on a raw connection that writes `text` and then stalls, until it closes. */
function stall(port: number, text: string): Promise<{ reply: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now()
    let reply = ''
    const s = connect(port, '127.0.0.1', () => s.write(text))
    s.on('data', (c) => (reply += c.toString('utf8')))
    s.on('error', reject)
    s.on('close', () => resolve({ reply, ms: Date.now() - t0 }))
  })
}

describe('slow clients', () => {
  it('answers a request whose body stalls with a contract 408 and closes the connection', async () => {
    const config = testConfig({ REQUEST_TIMEOUT_MS: '300', HOST: '127.0.0.1' })
    const runtime = await createRuntime(config, { info() {}, warn() {}, error() {} })
    const app = await buildApp(config, { runtime, apiKeys: config.apiKeys!, adminKeys: [] })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const port = (app.server.address() as { port: number }).port
    try {
      // headers and one byte of a 200-byte body, then nothing
      const { reply, ms } = await stall(port, `POST /v1/score HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH.authorization}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{`)
      expect(reply).toMatch(/^HTTP\/1\.1 408 /)
      expect(JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: 'request_timeout' })
      // not before the configured timeout: the server waited for the body as long as it promised
      expect(ms).toBeGreaterThanOrEqual(290)
      // headers that never finish get the same answer
      const headers = await stall(port, `POST /v1/score HTTP/1.1\r\nHost: x\r\n`)
      expect(headers.reply).toMatch(/^HTTP\/1\.1 408 /)
    } finally {
      await app.close()
      await runtime.close()
    }
  }, 20_000)
})
