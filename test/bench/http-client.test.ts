import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client } from '../../bench/http-client.js'

/** The load generator's socket client must read exactly what node's own HTTP server framework sends. */
describe('bench load client', () => {
  let app: FastifyInstance
  let url: string
  beforeAll(async () => {
    app = Fastify()
    app.post('/echo', async (req) => ({ got: req.body, auth: req.headers.authorization ?? null }))
    app.post('/teapot', async (_req, reply) => reply.code(418).send({ error: 'teapot' }))
    url = await app.listen({ port: 0, host: '127.0.0.1' })
  })
  afterAll(() => app.close())

  it('pairs every response with its request under concurrency, multi-byte text and large bodies included', async () => {
    const client = new Client(url, { authorization: 'Bearer k' })
    const bodies = Array.from({ length: 400 }, (_, i) => JSON.stringify({ i, text: i % 7 === 0 ? '密钥-ｓécret'.repeat(i % 3 === 0 ? 9000 : 1) : `n${i}` }))
    const replies = await Promise.all(bodies.map((b) => client.post('/echo', b)))
    replies.forEach((r, i) => {
      expect(r.status).toBe(200)
      expect(JSON.parse(r.body)).toEqual({ got: JSON.parse(bodies[i]!), auth: 'Bearer k' })
    })
    // connections are kept and reused: a smaller second wave opens none
    const opened = client.connections
    expect(opened).toBeGreaterThan(1)
    const again = await Promise.all(bodies.slice(0, 50).map((b) => client.post('/echo', b)))
    expect(again.map((r) => r.status)).toEqual(new Array(50).fill(200))
    expect(client.connections).toBe(opened)
    client.close()
  })

  it('queues requests past maxSockets instead of opening more connections', async () => {
    const client = new Client(url, {}, 4)
    const replies = await Promise.all(Array.from({ length: 60 }, (_, i) => client.post('/echo', JSON.stringify({ i }))))
    expect(replies.map((r) => JSON.parse(r.body).got.i)).toEqual(Array.from({ length: 60 }, (_, i) => i))
    expect(client.connections).toBe(4)
    client.close()
  })

  it('reports status codes other than 200 with their body', async () => {
    const client = new Client(url)
    const r = await client.post('/teapot', '{}')
    expect({ status: r.status, body: r.body }).toEqual({ status: 418, body: JSON.stringify({ error: 'teapot' }) })
    expect(r.head.split('\r\n')[0]).toBe("HTTP/1.1 418 I'm a Teapot")
    expect(r.head).toMatch(/\r\ncontent-length: 18(\r\n|$)/i)
    client.close()
  })

  it('rejects when the target is gone instead of hanging', async () => {
    const gone = Fastify()
    const at = await gone.listen({ port: 0, host: '127.0.0.1' })
    await gone.close()
    const client = new Client(at)
    await expect(client.post('/echo', '{}')).rejects.toThrow()
    client.close()
  })
})
