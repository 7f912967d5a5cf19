import type { ClusterNode } from 'ioredis'
import { FileLearningStore } from './file-store.js'
import { RedisLearningStore } from './redis-store.js'
import type { LearningStore, QueueOptions } from './store.js'

export interface LearningTarget {
  kind: 'file' | 'redis' | 'off'
  decisionsFile: string
  labelsFile: string
  redis?: string | { cluster: ClusterNode[] } | undefined
  prefix: string
  maxLen: number
  queue?: QueueOptions
}

/** The service and the training CLI open the same store from the same settings: train reads where the service writes. */
export function openLearningStore(t: LearningTarget): LearningStore {
  if (t.kind === 'redis') {
    if (!t.redis) throw new Error('the redis learning store needs REDIS_URL or REDIS_CLUSTER_NODES')
    return new RedisLearningStore(t.redis, { prefix: t.prefix, maxLen: t.maxLen, ...(t.queue ? { queue: t.queue } : {}) })
  }
  return new FileLearningStore(t.decisionsFile, t.labelsFile, t.queue)
}
