import { readFileSync } from 'node:fs'
import { list as isbotList } from 'isbot'
import { describe, expect, it } from 'vitest'
import { ScoreRequest } from '../../src/events/schemas.js'
import { extractFeatures } from '../../src/features/extract.js'
import { sharedSignalData } from '../../src/signals/shared-data.js'
import { BOT_PATTERNS_REMOVED, UaAnalyzer } from '../../src/signals/useragent.js'
import { packagedUserAgents } from '../../src/offline/sim/user-agents.js'
import { makeHasher } from '../../src/util/hash.js'
import { registration } from '../helpers.js'

/**
 * Every signal against user agents we did not write: the user-agents package (real, weighted browser
 * traffic) and test/fixtures/user-agents/cn-clients.json (the in-app browsers and browsers Chinese
 * shoppers use, each with its source). A failure lists the user agents it failed on.
 */
type Platform = 'web' | 'ios' | 'android' | 'mini_program'
interface RealClient { client: string; ua: string; platforms: Platform[]; source: string }
const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../fixtures/user-agents/${name}`, import.meta.url), 'utf8')) as T
const cn = fixture<{ clients: RealClient[] }>('cn-clients.json').clients
const automation = fixture<{ clients: { client: string; ua: string }[] }>('automation.json').clients
const packaged = packagedUserAgents()

/** The SDK platforms a real device of this kind reports: an iPad in desktop mode sends a Mac user agent, an Android tablet asks for desktop pages as Linux. */
function platformsOf(p: { userAgent: string; platform: string; deviceCategory: string }): Platform[] {
  if (p.platform === 'iPhone' || p.platform === 'iPad') return /iPhone|iPad|iPod|Macintosh/.test(p.userAgent) ? ['web', 'ios', 'mini_program'] : ['web'] // a browser overriding its user agent
  if (p.platform === 'MacIntel') return ['web', 'ios']
  if (p.platform === 'Win32') return ['web', 'mini_program']
  // navigator.platform "Linux x86_64" on a phone-sized screen is desktop Chrome emulating a phone (many send an iPhone user agent): a web client
  if (p.platform === 'Linux x86_64') return ['web']
  if (p.platform.startsWith('Linux')) return p.deviceCategory === 'desktop' ? ['web', 'android'] : ['web', 'android', 'mini_program']
  return ['web']
}
const realClients: RealClient[] = [
  ...cn,
  ...packaged.map((p) => ({ client: `user-agents (${p.deviceCategory}, ${p.platform})`, ua: p.userAgent, platforms: platformsOf(p), source: 'user-agents npm package' })),
]

const deps = { ...sharedSignalData(), ua: new UaAnalyzer(), hash: makeHasher('test-secret-0123456789'), hostingAsns: new Set<number>() }
const featuresOf = (ua: string, platform: Platform) => extractFeatures(ScoreRequest.parse(registration({ user_agent: ua, device: { id: 'd1', platform } })), deps).features

describe('real clients (corpus of user agents we did not write)', () => {
  it('holds the clients the issue names', () => {
    expect(packaged.length).toBeGreaterThan(5000)
    const names = cn.map((c) => c.client).join('\n')
    for (const needed of ['WeChat', 'mini-program (iOS', 'mini-program (Android', 'Alipay', 'Taobao', 'JD', 'Pinduoduo', 'Douyin', 'Kuaishou', 'QQ in-app', 'DingTalk', 'QQ Browser', 'UC Browser', 'Quark', 'Baidu', 'Huawei Browser', 'MIUI Browser', 'HarmonyOS', 'OpenHarmony', 'iPad in desktop mode', 'Android tablet', 'Firefox for Android', 'Samsung Internet', 'Edge on Android'])
      expect(names, needed).toContain(needed)
    for (const c of cn) expect(c.source.length, c.client).toBeGreaterThan(10)
  })

  it('no real client is a bot or automation', () => {
    const flagged = realClients.filter((c) => {
      const f = featuresOf(c.ua, c.platforms[0]!)
      return f['ua.bot'] === true || f['ua.automation'] === true
    })
    expect(flagged.map((c) => `${c.client}: ${c.ua}`)).toEqual([])
  })

  it('no real client contradicts any platform its SDK would report', () => {
    const flagged: string[] = []
    for (const c of realClients) for (const p of c.platforms) if (featuresOf(c.ua, p)['device.ua_mismatch'] === true) flagged.push(`${c.client} as ${p}: ${c.ua}`)
    expect(flagged).toEqual([])
  })

  it('the platform check still catches the contradictions no real client makes', () => {
    const iphone = cn.find((c) => c.client === 'WeChat in-app (iOS)')!.ua
    const android = cn.find((c) => c.client === 'Douyin in-app (Android, Huawei)')!.ua
    const harmony = cn.find((c) => c.client === 'OpenHarmony ArkWeb default (phone)')!.ua
    expect(featuresOf(android, 'ios')['device.ua_mismatch']).toBe(true)
    expect(featuresOf(harmony, 'ios')['device.ua_mismatch']).toBe(true)
    expect(featuresOf(iphone, 'android')['device.ua_mismatch']).toBe(true)
  })
})

describe('known automation', () => {
  it('HTTP libraries, command-line clients and headless browsers stay caught', () => {
    const missed = automation.filter((c) => {
      const f = featuresOf(c.ua, 'web')
      return f['ua.bot'] !== true && f['ua.automation'] !== true
    })
    expect(missed.map((c) => `${c.client}: ${c.ua}`)).toEqual([])
  })

  it('automation markers in otherwise ordinary user agents are caught', () => {
    const chrome = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36'
    for (const marker of ['Selenium/4.21', 'Puppeteer/22.1', 'Playwright/1.44', 'webdriver']) expect(featuresOf(`${chrome} ${marker}`, 'web')['ua.automation'], marker).toBe(true)
    expect(featuresOf(chrome, 'web')['ua.automation']).toBe(false)
  })

  it('crawlers are still bots', () => {
    for (const ua of ['Googlebot/2.1 (+http://www.google.com/bot.html)', 'Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)', 'Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)', 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)'])
      expect(featuresOf(ua, 'web')['ua.bot'], ua).toBe(true)
  })

  it('every isbot pattern we drop still exists in isbot, so an upgrade that changes them is noticed', () => {
    for (const p of Object.keys(BOT_PATTERNS_REMOVED)) expect(isbotList, p).toContain(p)
  })
})
