// The bench's baseline server (`npm run bench:online`): a bare fastify route in a process of its
// own, as `asof serve` runs in its own, so that neither shares a heap or a garbage collector
// with the bench. Plain JavaScript under plain node, as asof's command runs from a bundle (a
// TypeScript loader in the process would be a cost the baseline does not have in production).
// It receives, over IPC, the prebuilt answer of each batch size, parses each request's JSON
// body as asof does, and sends the answer of the batch its path names; it answers with its URL.
import Fastify from 'fastify'

process.once('message', async (answers) => {
  const byBatch = new Map(Object.entries(answers).map(([batch, base64]) => [batch, Buffer.from(base64, 'base64')]))
  const app = Fastify()
  app.post('/bare/:batch', async (request, reply) => {
    reply.type('application/json')
    return byBatch.get(request.params.batch)
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  process.send(`http://127.0.0.1:${app.server.address().port}`)
})
