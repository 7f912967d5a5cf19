import { z } from 'zod'

const DEV_PII_SECRET = 'bouncer-development-pii-secret-do-not-use-in-production'

const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])

const csv = z
  .string()
  .transform((s) => s.split(',').map((k) => k.trim()).filter((k) => k.length > 0))

export const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .optional(),
  REDIS_CLUSTER_NODES: z
    .string()
    .regex(/^[^,:\s]+:\d{1,5}(,[^,:\s]+:\d{1,5})*$/, 'must be host:port[,host:port...]')
    .optional()
    .describe('seed nodes of a Redis Cluster; takes the place of REDIS_URL'),
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]*$/).default('bn:'),
  REDIS_TIMEOUT_MS: z.coerce.number().int().positive().max(10_000).default(25),
  API_KEYS: csv.pipe(z.array(z.string().min(16, 'each key must be at least 16 characters'))).optional(),
  ADMIN_KEYS: csv.pipe(z.array(z.string().min(16, 'each key must be at least 16 characters'))).optional(),
  METRICS_KEYS: csv.pipe(z.array(z.string().min(16, 'each key must be at least 16 characters'))).optional().describe('bearer keys that may read /metrics and nothing else (admin keys may too)'),
  RULES_DIR: z.string().min(1).default('rules'),
  MODEL_DIR: z.string().min(1).default('models/risk-gbt'),
  CHALLENGER_MODEL_DIR: z.string().min(1).optional(),
  PII_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  LOG_LEVEL: LogLevel.default('info'),
  IDEMPOTENCY_TTL_S: z.coerce.number().int().positive().default(86_400),
  FEEDBACK_FILE: z.string().min(1).default('data/feedback.ndjson').describe('labels from /v1/feedback, with the file store (DECISIONS_STORE=file or off)'),
  DECISIONS_STORE: z.enum(['auto', 'file', 'redis', 'off']).default('auto').describe('where decision records and labels go for training: auto is redis when REDIS_URL or REDIS_CLUSTER_NODES is set, else file; off keeps no decision records (labels still go to FEEDBACK_FILE)'),
  DECISIONS_FILE: z.string().min(1).default('data/decisions.ndjson').describe('decision records, with the file store'),
  DECISIONS_MAX_LEN: z.coerce.number().int().min(1000).default(1_000_000).describe('decision records a Redis stream keeps (approximate trim); about 1.1 KB each'),
  BODY_LIMIT: z.coerce.number().int().positive().default(64 * 1024),
  MAX_EVENT_LOOP_DELAY_MS: z.coerce.number().int().min(0).default(200),
  ADMISSION_TARGET_UTILIZATION: z.coerce.number().min(0.5).max(1).default(0.9).describe('the event-loop utilisation past which, with a standing queue (the fastest answer of a 100 ms window over 10 ms), the in-flight limit shrinks toward min(64, MAX_IN_FLIGHT); it grows back to MAX_IN_FLIGHT once either signal clears; 1 keeps MAX_IN_FLIGHT fixed'),
  MAX_IN_FLIGHT: z.coerce.number().int().min(0).default(256),
  RULES_WATCH: z.enum(['true', 'false', '1', '0']).default('true'),
  DEGRADED_FLOOR: z.enum(['allow', 'challenge', 'review']).default('allow'),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5000).describe('a request whose headers and body have not all arrived by then gets 408 and its connection is closed'),
  KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(65_000).describe('idle keep-alive connections are closed after this'),
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(8000).default(1000).describe('at shutdown, how long open connections are answered 503 + Retry-After + Connection: close before the server closes'),
  WORKERS: z.coerce.number().int().min(1).max(64).default(1).describe('processes serving the port (node:cluster); needs REDIS_URL when above 1'),
})

export type Env = z.infer<typeof EnvSchema>

/** The one config declaration: the environment's schema, then its typed shape; `Config` is derived from it. */
const ConfigSchema = EnvSchema.superRefine((e, ctx) => {
  // In-memory counters live in one process: several workers would each count a share of the traffic.
  if (e.WORKERS > 1 && !e.REDIS_URL && !e.REDIS_CLUSTER_NODES) ctx.addIssue({ code: 'custom', path: ['WORKERS'], message: 'more than one worker needs shared counters: set REDIS_URL or REDIS_CLUSTER_NODES' })
  if (e.DECISIONS_STORE === 'redis' && !e.REDIS_URL && !e.REDIS_CLUSTER_NODES) ctx.addIssue({ code: 'custom', path: ['DECISIONS_STORE'], message: 'redis needs REDIS_URL or REDIS_CLUSTER_NODES' })
}).transform((e) => ({
  port: e.PORT,
  host: e.HOST,
  redisUrl: e.REDIS_URL,
  redisClusterNodes: e.REDIS_CLUSTER_NODES,
  redisPrefix: e.REDIS_PREFIX,
  redisTimeoutMs: e.REDIS_TIMEOUT_MS,
  /** undefined: the caller must generate a development key (see server.ts) */
  apiKeys: e.API_KEYS,
  adminKeys: e.ADMIN_KEYS ?? [],
  metricsKeys: e.METRICS_KEYS ?? [],
  rulesDir: e.RULES_DIR,
  modelDir: e.MODEL_DIR,
  challengerModelDir: e.CHALLENGER_MODEL_DIR,
  piiSecret: e.PII_SECRET ?? DEV_PII_SECRET,
  piiSecretIsDefault: e.PII_SECRET === undefined,
  logLevel: e.LOG_LEVEL,
  idempotencyTtlS: e.IDEMPOTENCY_TTL_S,
  feedbackFile: e.FEEDBACK_FILE,
  /** where decision records and labels go (auto resolved) */
  decisionsStore: e.DECISIONS_STORE === 'auto' ? (e.REDIS_URL || e.REDIS_CLUSTER_NODES ? 'redis' : 'file') : e.DECISIONS_STORE,
  decisionsFile: e.DECISIONS_FILE,
  decisionsMaxLen: e.DECISIONS_MAX_LEN,
  bodyLimit: e.BODY_LIMIT,
  /** shed load (503 + Retry-After) while the event loop lags more than this; 0 disables */
  maxEventLoopDelayMs: e.MAX_EVENT_LOOP_DELAY_MS,
  /** scoring requests one process works on at once; past it a request gets 503 at once (0: no limit) */
  maxInFlight: e.MAX_IN_FLIGHT,
  /** the loop utilisation the in-flight limit adapts to (1: a fixed MAX_IN_FLIGHT) */
  admissionTargetUtilization: e.ADMISSION_TARGET_UTILIZATION,
  /** reload rules and lists when their files change */
  rulesWatch: e.RULES_WATCH === 'true' || e.RULES_WATCH === '1',
  /** the least severe decision an event scored without velocity can get */
  degradedFloor: e.DEGRADED_FLOOR,
  workers: e.WORKERS,
  /** slow clients: headers and body must arrive within this, else 408 */
  requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
  keepAliveTimeoutMs: e.KEEP_ALIVE_TIMEOUT_MS,
  /** at shutdown: answer open connections 503 + Connection: close for up to this long (less once none are open) */
  shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
}))

export type Config = z.output<typeof ConfigSchema>

export class ConfigError extends Error {
  constructor(public readonly issues: { variable: string; message: string }[]) {
    super('invalid configuration: ' + issues.map((i) => `${i.variable}: ${i.message}`).join('; '))
    this.name = 'ConfigError'
  }
}

/** Parse the environment once at boot. Empty strings count as unset, as shells often export them. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned: Record<string, string> = {}
  for (const key of Object.keys(EnvSchema.shape)) {
    const v = env[key]
    if (v !== undefined && v !== '') cleaned[key] = v
  }
  const parsed = ConfigSchema.safeParse(cleaned)
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? '?'), message: i.message })),
    )
  }
  return parsed.data
}
