import type { TestProject } from 'vitest/node'
import { startRedis, startRedisCluster } from './redis-server.js'

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string
    /** seed nodes of a real 3-master Redis Cluster, `host:port,...` */
    redisClusterNodes: string
  }
}

/**
 * One redis-server and one 3-master Redis Cluster for the whole run; each test file uses its own key
 * prefix or database.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [redis, cluster] = await Promise.all([startRedis(), startRedisCluster(3)])
  project.provide('redisUrl', redis.url)
  project.provide('redisClusterNodes', cluster.nodes)
  return async () => {
    await Promise.all([redis.stop(), cluster.stop()])
  }
}
