import type { FastifyPluginAsync } from 'fastify'

const healthRoutes: FastifyPluginAsync = async (app) => {
  const live = async () => ({ status: 'ok' })
  app.get('/health', live)
  app.get('/health/live', live)
}

export default healthRoutes
