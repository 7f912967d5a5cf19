import { loadConfig, type Config } from '../src/config.js'
import type { ScoreRequest } from '../src/events/schemas.js'
import { loadRuleSet } from '../src/rules/ruleset.js'

let seq = 0

/** The catalog of the shipped rules (request features, then rules/counters.yaml's counters). */
export const SHIPPED_CATALOG = loadRuleSet('rules').catalog
export const uniq = (p = 'e') => `${p}-${process.pid}-${Date.now().toString(36)}-${(seq++).toString(36)}`

/**
 * The service's config for a test. Whatever reads the machine's own speed is off unless a test asks for it:
 * an event-loop lag past 200 ms after one test's burst refused the next seven tests' requests with 503 in CI
 * on a busy machine; the adaptive in-flight limit moves with machine load the same way; and the production
 * 25 ms Redis budget answered one of a round trip's 4,314 events degraded in another CI run, so the budget is
 * 3 s here. The tests of shedding and degrading set MAX_EVENT_LOOP_DELAY_MS, MAX_IN_FLIGHT and
 * REDIS_TIMEOUT_MS themselves; AdmissionLimit has unit tests.
 */
export function testConfig(over: Record<string, string> = {}): Config {
  return loadConfig({ MAX_EVENT_LOOP_DELAY_MS: '0', ADMISSION_TARGET_UTILIZATION: '1', REDIS_TIMEOUT_MS: '3000', RULES_WATCH: 'false', API_KEYS: 'test-key-0123456789abcdef', ADMIN_KEYS: 'admin-key-0123456789abcdef', FEEDBACK_FILE: `.tmp/test-feedback-${process.pid}.ndjson`, DECISIONS_FILE: `.tmp/test-decisions-${process.pid}.ndjson`, ...over })
}

export const AUTH = { authorization: 'Bearer test-key-0123456789abcdef' }
export const ADMIN = { authorization: 'Bearer admin-key-0123456789abcdef' }

export function registration(over: Partial<ScoreRequest> & Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_id: uniq('reg'),
    event: 'registration',
    ip: '36.112.24.10',
    user_agent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
    device: { id: uniq('dev'), platform: 'ios' },
    behavior: { fill_ms: 18000, keystrokes: 40, pointer_moves: 80, pastes: 0 },
    account_id: uniq('u'),
    email: `${uniq('m')}@qq.com`,
    phone: '+8613800138000',
    ...over,
  }
}

export function login(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { event_id: uniq('login'), event: 'login', ip: '36.112.24.11', account_id: uniq('u'), outcome: 'success', ...over }
}

export function claim(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { event_id: uniq('claim'), event: 'coupon_claim', ip: '36.112.24.12', account_id: uniq('u'), coupon_id: 'd11-50', campaign_id: 'double11', value: 5000, ...over }
}
