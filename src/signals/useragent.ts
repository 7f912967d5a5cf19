import { isbot } from 'isbot'
import { UAParser } from 'ua-parser-js'

export interface UaSignals {
  present: boolean
  bot: boolean
  /** scripted or headless clients: HeadlessChrome, PhantomJS, Selenium, HTTP libraries */
  automation: boolean
  truncated: boolean
  length: number
  browser: string
  os: string
  mobile: boolean
}

export const UA_MAX = 1024
const AUTOMATION = /headlesschrome|phantomjs|puppeteer|playwright|selenium|webdriver|python-requests|python-urllib|aiohttp|httpx|go-http-client|java\/|okhttp\/[0-2]\.|curl\/|wget\/|node-fetch|axios\/|undici|scrapy|libwww|httpclient/i

/**
 * UA parsing costs tens of microseconds, and a promotion's traffic repeats a few thousand UAs,
 * so results are memoised in a bounded map (cleared wholesale when full: cheap and good enough).
 */
export class UaAnalyzer {
  private cache = new Map<string, UaSignals>()
  constructor(private readonly maxEntries = 20_000) {}

  analyze(raw: string | undefined): UaSignals {
    if (raw === undefined || raw.trim() === '') return { present: false, bot: false, automation: false, truncated: false, length: 0, browser: '', os: '', mobile: false }
    const truncated = raw.length > UA_MAX
    const ua = truncated ? raw.slice(0, UA_MAX) : raw
    const hit = this.cache.get(ua)
    if (hit) return truncated ? { ...hit, truncated, length: raw.length } : hit
    const parsed = new UAParser(ua).getResult()
    const out: UaSignals = {
      present: true,
      bot: isbot(ua),
      automation: AUTOMATION.test(ua),
      truncated: false,
      length: ua.length,
      browser: (parsed.browser.name ?? '').toLowerCase(),
      os: (parsed.os.name ?? '').toLowerCase(),
      mobile: parsed.device.type === 'mobile' || parsed.device.type === 'tablet',
    }
    if (this.cache.size >= this.maxEntries) this.cache.clear()
    this.cache.set(ua, out)
    return truncated ? { ...out, truncated, length: raw.length } : out
  }
}
