import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config.js'

describe('config', () => {
  it('has working defaults with nothing set', () => {
    const c = loadConfig({})
    expect(c).toMatchObject({ port: 3000, rulesDir: 'rules', modelDir: 'models/risk-gbt', redisUrl: undefined, apiKeys: undefined, piiSecretIsDefault: true, redisTimeoutMs: 25 })
  })

  it('splits API keys and treats empty variables as unset', () => {
    const c = loadConfig({ API_KEYS: 'aaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbb', REDIS_URL: '' })
    expect(c.apiKeys).toEqual(['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb'])
    expect(c.redisUrl).toBeUndefined()
  })

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['REDIS_URL', 'http://localhost'],
    ['API_KEYS', 'short'],
    ['PII_SECRET', 'tiny'],
    ['LOG_LEVEL', 'loud'],
  ])('names %s when its value is bad', (variable, value) => {
    try {
      loadConfig({ [variable]: value })
      throw new Error('expected a ConfigError')
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError)
      expect((err as ConfigError).issues.map((i) => i.variable)).toEqual([variable])
      expect((err as Error).message).toContain(variable)
    }
  })
})
