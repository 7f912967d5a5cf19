import { createIsbotFromList, list as isbotList } from 'isbot'
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
  /** the operating-system family the user agent names: what a platform check may compare */
  family: OsFamily
  mobile: boolean
}

/**
 * `apple_mobile` is iOS and iPadOS as named by an iPhone/iPad/iPod token or CFNetwork/Darwin. A Mac user
 * agent is `apple_desktop`: iPadOS Safari and web views ask for desktop pages and send exactly that.
 * `android` takes HarmonyOS and OpenHarmony, whose phones run Android apps and whose SDKs report android.
 */
export type OsFamily = 'apple_mobile' | 'apple_desktop' | 'android' | 'windows' | 'linux' | 'other' | ''

export const UA_MAX = 1024
// HTTP libraries and headless browsers, named one by one (test/fixtures/user-agents/automation.json). Android
// apps' own clients (okhttp 3+, Dart for Flutter) and iOS apps' (CFNetwork) are real shoppers and stay out.
const AUTOMATION = /headlesschrome|phantomjs|puppeteer|playwright|selenium|webdriver|python-requests|python-urllib|python-httpx|aiohttp|httpx|go-http-client|java\/|java-http-client|okhttp\/[0-2]\.|curl\/|wget\/|node-fetch|node\.js\/|axios\/|undici|scrapy|libwww|httpclient|guzzlehttp|superagent|needle\/|^got\/|^bun\/|^deno\/|hackney\/|lua-resty-http|php-soap|rest-client\/|postmanruntime|httpie\/|powershell\/|jsdom\//i

/**
 * isbot patterns that match real shoppers' clients in test/fixtures/user-agents (each with the client it
 * hit). They are dropped from the list once, at startup; crawlers they were meant for still carry
 * `spider`, `crawler` or `bot`, which other patterns catch.
 */
export const BOT_PATTERNS_REMOVED: Record<string, string> = {
  '\\|': 'Alipay on Android: AlipayDefined(nt:WIFI,ws:360|0|3.0)',
  '@[a-z][\\w-]+\\.': 'Taobao on Android: TBANDROID/700342@taobao_android_4.9.2',
  '(?:^|[^g])news(?!sapphire)': 'Toutiao on Android: NewsArticle/8.8.5',
  sogou: 'Sogou Mobile browser on iOS: SogouMobileBrowser/3.7.4',
  '^[\\w \\.\\-\\(?:\\):%]+(?:/v?\\d+(?:\\.\\d+)?(?:\\.\\d{1,10})*?)?(?:,|$)': 'Sogou Mobile browser on iOS (SogouMSE,SogouMobileBrowser) and Android apps\' own HTTP clients (okhttp/3.12.0)',
  // Scripted HTTP libraries stay caught by AUTOMATION, which names them one by one.
  '(?<!lib)http': 'Android apps\' own HTTP clients: okhttp/3.12.0, okhttp3-3.11.0.hw.190124',
}
const isBot = createIsbotFromList(isbotList.filter((p) => !(p in BOT_PATTERNS_REMOVED)))

function familyOf(os: string, ua: string): OsFamily {
  switch (os) {
    case '':
      return /CFNetwork\/|Darwin\//.test(ua) ? 'apple_mobile' : ''
    case 'ios':
      return 'apple_mobile'
    case 'mac os':
      return 'apple_desktop'
    case 'android':
    case 'harmonyos':
    case 'openharmony':
      return 'android'
    case 'windows':
    case 'windows phone':
      return 'windows'
    case 'linux':
    case 'ubuntu':
    case 'debian':
    case 'fedora':
    case 'chromium os':
      return 'linux'
    default:
      return 'other'
  }
}

/**
 * The native SDK's platform contradicts the user agent only where no real client can produce the pair:
 * an iOS app cannot run an Android or HarmonyOS web view, and an Android app cannot send an iPhone's user
 * agent. Everything else (iPads sending Mac user agents, Android tablets asking for desktop pages as
 * Linux, a HarmonyOS phone, mini-programs and web on any OS) is consistent.
 */
export function platformContradicts(platform: string | undefined, family: OsFamily): boolean {
  if (platform === 'ios') return family === 'android'
  if (platform === 'android') return family === 'apple_mobile'
  return false
}

const ABSENT: UaSignals = { present: false, bot: false, automation: false, truncated: false, length: 0, browser: '', os: '', family: '', mobile: false }

/**
 * UA parsing costs tens of microseconds, and a promotion's traffic repeats a few thousand UAs,
 * so results are memoised in a bounded map (cleared wholesale when full: cheap and good enough).
 */
export class UaAnalyzer {
  private cache = new Map<string, UaSignals>()
  constructor(private readonly maxEntries = 20_000) {}

  analyze(raw: string | undefined): UaSignals {
    if (raw === undefined || raw.trim() === '') return ABSENT
    const truncated = raw.length > UA_MAX
    const ua = truncated ? raw.slice(0, UA_MAX) : raw
    const hit = this.cache.get(ua)
    if (hit) return truncated ? { ...hit, truncated, length: raw.length } : hit
    const parsed = new UAParser(ua).getResult()
    const os = (parsed.os.name ?? '').toLowerCase()
    const out: UaSignals = {
      present: true,
      bot: isBot(ua),
      automation: AUTOMATION.test(ua),
      truncated: false,
      length: ua.length,
      browser: (parsed.browser.name ?? '').toLowerCase(),
      os,
      family: familyOf(os, ua),
      mobile: parsed.device.type === 'mobile' || parsed.device.type === 'tablet',
    }
    if (this.cache.size >= this.maxEntries) this.cache.clear()
    this.cache.set(ua, out)
    return truncated ? { ...out, truncated, length: raw.length } : out
  }
}
