import Fastify from 'fastify'

/**
 * Baseline (a): the ceiling of the HTTP layer. A bare Fastify app that parses the JSON body and sends it
 * back, nothing else; the same bodies the scoring benchmark sends.
 */
const app = Fastify({ logger: false, bodyLimit: 64 * 1024 })
app.post('/v1/score', async (req) => req.body)
app.get('/readyz', async () => ({ ready: true }))
await app.listen({ port: Number(process.env.PORT ?? 3990), host: '127.0.0.1' })
