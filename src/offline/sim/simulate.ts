import type { ScoreRequest } from '../../events/schemas.js'
import type { AsnDb } from '../../signals/ipinfo.js'
import { Rng } from './random.js'
import { loadSimParams } from './params.js'
import { uaPool } from './user-agents.js'

/**
 * Seeded traffic simulator: legit shoppers with their hard-negative crowds, and attack families, as
 * labelled /v1/score bodies. Each line carries `label` and a `sim` object (family, tags) that replay
 * ignores. Behaviour follows how each actor works, not the service's thresholds; evaluation must use a
 * different seed and time span from training.
 */

export interface SimParams {
  seed: number
  start: string
  days: number
  /** multiplies every population */
  scale: number
  legitUsers: number
  newUsersPerDay: number
  loginsPerUserPerDay: number
  rushClaimShare: number
  /** the promotion opens at this hour after `start`; for `rushMinutes` legit traffic runs ~20x */
  rushAtHour: number
  rushMinutes: number
  campusStudents: number
  families: number
  officeWorkers: number
  farms: number
  stuffingCampaigns: number
  rings: number
  lowAndSlow: number
  /** invite-code farms: bursts of fresh accounts behind a few referral codes */
  inviteFarms: number
  /** influencers whose code brings a day of real sign-ups */
  influencers: number
  friendReferralShare: number
}

/** The simulator's parameters, from sim/default.json (validated); `--config FILE` overrides them. */
export const DEFAULT_PARAMS: SimParams = loadSimParams()

export type Family =
  | 'legit'
  | 'campus_nat'
  | 'family_phone'
  | 'office_proxy'
  | 'signup_farm'
  | 'farm_cashout'
  | 'credential_stuffing'
  | 'account_takeover'
  | 'coupon_ring'
  | 'low_and_slow'
  | 'invite_farm'
  | 'influencer_invite'

export const ATTACK_FAMILIES: Family[] = ['signup_farm', 'farm_cashout', 'credential_stuffing', 'account_takeover', 'coupon_ring', 'low_and_slow', 'invite_farm']

export type SimEvent = ScoreRequest & { label: 'fraud' | 'legit'; sim: { family: Family; tags: string[] } }

const CN_FIXED = [4134, 4837, 4812, 17621, 17816]
const CN_MOBILE = [9808, 56040, 56041, 56046, 56047, 24400]
const INTL = [7922, 3320, 2856, 4713, 12322]
const HOSTING = [16509, 37963, 45090, 14061, 24940, 20473, 16276, 45102]
const CAMPUS = [4538]
// CDN networks that carry privacy relays (iCloud Private Relay egresses from Akamai, Cloudflare and Fastly)
const RELAY = [36183, 13335, 54113]

// Scripted clients: attackers' HTTP libraries and headless browsers (real clients come from ./user-agents.ts).
const UA = {
  scripted: ['python-requests/2.32.3', 'Go-http-client/1.1', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/128.0.0.0 Safari/537.36', 'okhttp/3.12.1'],
} as const
type Platform = 'web' | 'ios' | 'android' | 'mini_program'

const FREE_MAIL = [['qq.com', 40], ['163.com', 15], ['126.com', 6], ['gmail.com', 8], ['outlook.com', 4], ['foxmail.com', 4], ['sina.com', 3], ['icloud.com', 5], ['139.com', 3], ['hotmail.com', 2]] as const
const DISPOSABLE = ['mailinator.com', '10minutemail.com', 'guerrillamail.com', 'yopmail.com', 'sharklasers.com', 'temp-mail.org', 'dispostable.com', 'maildrop.cc']
const NAMES = ['wang', 'li', 'zhang', 'liu', 'chen', 'yang', 'huang', 'zhao', 'wu', 'zhou', 'xu', 'sun', 'ma', 'zhu', 'hu', 'guo', 'he', 'lin', 'luo', 'gao', 'xiaoming', 'lily', 'amy', 'jack', 'tom', 'coco', 'sunny', 'kevin', 'linda', 'yuki']
const REAL_SEGMENTS = ['130', '131', '132', '133', '135', '136', '137', '138', '139', '150', '151', '152', '155', '156', '157', '158', '159', '177', '180', '181', '182', '183', '185', '186', '187', '188', '189', '191', '198', '199']
const VIRTUAL_SEGMENTS = ['170', '171', '162', '165', '167']

interface Person {
  account: string
  device: { id: string; platform: Platform; ua: string }
  ip: () => string
  address: string
  payment: string
  createdAt?: number
  passwordManager: boolean
}

export function simulate(asn: AsnDb, p: SimParams): SimEvent[] {
  const r = new Rng(p.seed)
  const t0 = Date.parse(p.start)
  const span = p.days * 86_400_000
  const rushStart = t0 + p.rushAtHour * 3_600_000
  const rushEnd = rushStart + p.rushMinutes * 60_000
  const n = (x: number) => Math.max(1, Math.round(x * p.scale))
  const out: SimEvent[] = []
  let seq = 0
  const eid = () => `sim${p.seed}-${(seq++).toString(36)}`
  const uid = (kind: string) => `${kind}_${p.seed}_${r.hex(10)}`
  const iso = (t: number) => new Date(Math.round(t)).toISOString()

  // --- address pools from real ASN ranges ---
  const v4cache = new Map<number, [number, number][]>()
  const v6cache = new Map<number, [bigint, bigint][]>()
  const v4 = (asns: readonly number[]) => {
    const a = r.pick(asns)
    let ranges = v4cache.get(a)
    if (!ranges) v4cache.set(a, (ranges = asn.v4RangesOf(a)))
    if (ranges.length === 0) return `1.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`
    const [s, e] = r.pick(ranges)
    const x = s + Math.floor(r.next() * (e - s + 1))
    return `${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`
  }
  const v6prefix = (asns: readonly number[]): string => {
    const a = r.pick(asns)
    let ranges = v6cache.get(a)
    if (!ranges) v6cache.set(a, (ranges = asn.v6RangesOf(a)))
    const [s, e] = ranges.length ? r.pick(ranges) : ([0x240e000000000000n, 0x240e000000000000n] as [bigint, bigint])
    const top = s + BigInt(Math.floor(r.next() * Number(e - s + 1n > 1_000_000n ? 1_000_000n : e - s + 1n)))
    return top.toString(16).padStart(16, '0').match(/.{4}/g)!.join(':')
  }
  const v6 = (prefix: string) => `${prefix}:${r.hex(4)}:${r.hex(4)}:${r.hex(4)}:${r.hex(4)}`.replace(/:0+([0-9a-f])/g, ':$1')
  const mobileNat = Array.from({ length: n(120) }, () => v4(CN_MOBILE))
  // Carrier-grade NAT: a few addresses carry a large share of a province's phones, thousands of shoppers each.
  const megaNat = Array.from({ length: 3 }, () => v4(CN_MOBILE))
  // iCloud Private Relay and similar: shoppers egress from CDN networks (hosting ASNs), a new address now and then.
  const relayEgress = Array.from({ length: n(40) }, () => v4(RELAY))
  const campusNat = Array.from({ length: 2 }, () => v4(CAMPUS))
  const officeProxy = Array.from({ length: 3 }, () => v4([37963]))

  // --- legit identities ---
  const platformPick = (): Platform => r.weighted([['web', 30], ['ios', 27], ['android', 30], ['mini_program', 13]] as const)
  // User agents come from real clients (the user-agents package and the curated in-app browsers), never a handful per platform.
  const uas = uaPool().byPlatform
  const device = (platform = platformPick()) => ({ id: `dev-${r.hex(16)}`, platform, ua: uas[platform].pick(r.next()) })
  const homeIp = (): (() => string) & { tag?: string } => {
    const kind = r.weighted([['fixed', 43], ['mobile', 40], ['v6', 10], ['intl', 4], ['relay', 3]] as const)
    if (kind === 'mobile') {
      const mega = r.chance(0.3)
      const pool = mega ? megaNat : mobileNat
      return Object.assign(() => r.pick(pool), mega ? { tag: 'cgnat' } : {})
    }
    if (kind === 'relay') {
      const first = r.pick(relayEgress)
      return Object.assign(() => (r.chance(0.7) ? first : r.pick(relayEgress)), { tag: 'privacy_relay' })
    }
    if (kind === 'v6') {
      const pre = v6prefix([4134, 9808, 4837])
      const addr = v6(pre)
      // privacy extensions rotate the interface id now and then
      return () => (r.chance(0.3) ? v6(pre) : addr)
    }
    const ip = v4(kind === 'intl' ? INTL : CN_FIXED)
    return () => ip
  }
  // A storefront keeps one account per address, so unrelated people never share an inbox.
  const usedEmails = new Set<string>()
  const humanEmail = (): string => {
    const e = freshEmail()
    const key = e.toLowerCase().replaceAll('.', '')
    if (usedEmails.has(key)) return humanEmail()
    usedEmails.add(key)
    return e
  }
  const freshEmail = () => {
    const dom = r.weighted(FREE_MAIL)
    const base = dom === 'qq.com' && r.chance(0.5) ? String(r.int(10000000, 3999999999)) : `${r.pick(NAMES)}${r.chance(0.5) ? r.pick(NAMES) : ''}${r.chance(0.6) ? r.int(1, 2005) : ''}`
    return `${r.chance(0.1) ? base.toUpperCase() : base}@${dom}`
  }
  // Virtual operators (170/171/162/165/167) also serve ordinary subscribers, tens of millions of them; a few
  // percent of real shoppers sign up with such a number (an assumption: the share is not published per shop).
  const humanPhone = () => `+86${r.chance(0.03) ? r.pick(VIRTUAL_SEGMENTS) : r.pick(REAL_SEGMENTS)}${String(r.int(0, 99999999)).padStart(8, '0')}`
  const address = () => `${r.pick(['北京市朝阳区', '上海市浦东新区', '广州市天河区', '深圳市南山区', '杭州市西湖区', '成都市武侯区'])}${r.pick(['建国路', '世纪大道', '天河路', '科技园路', '文三路', '人民南路'])}${r.int(1, 999)}号${r.int(1, 30)}栋${r.int(101, 2999)}室`
  const person = (over: Partial<Person> = {}): Person => ({
    account: uid('u'),
    device: device(),
    ip: homeIp(),
    address: address(),
    payment: `pf_${r.hex(12)}`,
    passwordManager: r.chance(0.15),
    ...over,
  })
  const humanBehavior = (pm: boolean) =>
    pm
      ? { fill_ms: Math.round(r.int(500, 1800)), keystrokes: 0, pointer_moves: r.int(3, 25), pastes: 0 }
      : { fill_ms: Math.round(r.logNormal(22_000, 0.6)), keystrokes: r.int(25, 90), pointer_moves: r.int(15, 250), pastes: r.chance(0.2) ? 1 : 0 }

  const common = (t: number, who: Person, ip = who.ip()) => ({
    event_id: eid(),
    occurred_at: iso(t),
    ip,
    user_agent: who.device.ua,
    device: { id: who.device.id, platform: who.device.platform, emulator: false, rooted: r.chance(0.01), headless: false },
  })
  // Many storefronts call from their backend without the client SDK, for any actor: then there is no
  // device or behaviour data. Presence of SDK data must not be what separates fraud from legit.
  const push = (e: ScoreRequest, label: 'fraud' | 'legit', family: Family, tags: string[] = []) => {
    const sdkless = e.event === 'login' ? 0.35 : 0.15
    if (r.chance(sdkless)) {
      delete (e as { behavior?: unknown }).behavior
      if (r.chance(0.5)) delete (e as { device?: unknown }).device
    }
    out.push({ ...e, label, sim: { family, tags } } as SimEvent)
  }

  // Diurnal time-of-day: quiet at night, peaks at lunch and evening.
  const dayTime = (day: number) => {
    const hour = r.weighted([[0, 2], [1, 1], [2, 0.5], [3, 0.3], [4, 0.3], [5, 0.5], [6, 1], [7, 2], [8, 3], [9, 4], [10, 4], [11, 5], [12, 6], [13, 5], [14, 4], [15, 4], [16, 4], [17, 4], [18, 5], [19, 6], [20, 7], [21, 8], [22, 7], [23, 4]] as const)
    return t0 + day * 86_400_000 + hour * 3_600_000 + r.next() * 3_600_000
  }
  const inRush = () => rushStart + r.next() * (rushEnd - rushStart)
  const tagsAt = (t: number, extra: string[] = [], who?: Person) => {
    const net = (who?.ip as { tag?: string } | undefined)?.tag
    const tags = net ? [...extra, net] : extra
    return t >= rushStart && t < rushEnd ? ['rush', ...tags] : tags
  }

  const register = (t: number, who: Person, family: Family, label: 'fraud' | 'legit', email = humanEmail(), phone = humanPhone(), extra: Partial<ScoreRequest> = {}, tags: string[] = []) => {
    who.createdAt = t
    push({ ...common(t, who), event: 'registration', account_id: who.account, email, phone, behavior: humanBehavior(who.passwordManager), ...extra } as ScoreRequest, label, family, tagsAt(t, tags, who))
  }
  const login = (t: number, who: Person, family: Family, label: 'fraud' | 'legit', outcome: 'success' | 'failure' = 'success', tags: string[] = []) =>
    push({ ...common(t, who), event: 'login', account_id: who.account, outcome, method: r.weighted([['password', 60], ['sms', 30], ['oauth', 10]] as const), behavior: humanBehavior(who.passwordManager) } as ScoreRequest, label, family, tagsAt(t, tags, who))
  const claim = (t: number, who: Person, family: Family, label: 'fraud' | 'legit', coupon: string, tags: string[] = [], extra: Partial<ScoreRequest> = {}) =>
    push({
      ...common(t, who),
      event: 'coupon_claim',
      account_id: who.account,
      coupon_id: coupon,
      campaign_id: coupon === 'new-user-20' ? 'new-user' : 'double11',
      value: coupon === 'new-user-20' ? 2000 : 5000,
      shipping_address: who.address,
      payment_fingerprint: who.payment,
      behavior: { fill_ms: Math.round(r.logNormal(3000, 0.7)), keystrokes: 0, pointer_moves: r.int(2, 40), pastes: 0 },
      ...(who.createdAt !== undefined && r.chance(0.7) ? { account_created_at: iso(who.createdAt) } : {}),
      ...extra,
    } as ScoreRequest, label, family, tagsAt(t, tags, who))

  // --- legit population ---
  const existing: Person[] = Array.from({ length: n(p.legitUsers) }, () => person({ createdAt: t0 - r.int(5, 900) * 86_400_000 }))
  for (const u of existing) {
    for (let day = 0; day < p.days; day++) {
      const logins = r.chance(p.loginsPerUserPerDay % 1) ? Math.ceil(p.loginsPerUserPerDay) : Math.floor(p.loginsPerUserPerDay)
      for (let i = 0; i < logins; i++) {
        const t = dayTime(day)
        if (r.chance(0.06)) {
          login(t, u, 'legit', 'legit', 'failure', ['typo'])
          login(t + r.int(5_000, 60_000), u, 'legit', 'legit')
        } else login(t, u, 'legit', 'legit')
      }
    }
    if (r.chance(p.rushClaimShare)) {
      const t = inRush()
      login(t - r.int(10_000, 300_000), u, 'legit', 'legit')
      claim(t, u, 'legit', 'legit', 'd11-50')
    }
  }
  const newUsers = (count: number, t: () => number, family: Family = 'legit', make: () => Person = () => person()) => {
    for (let i = 0; i < count; i++) {
      const u = make()
      const tr = t()
      // a friend's code: shared with a handful of people, who sign up over days
      // the code belongs to an existing shopper; storefronts that know its owner send referrer_account_id
      const fi = r.int(0, Math.max(1, Math.round((n(p.newUsersPerDay) * p.days * p.friendReferralShare) / 3)))
      const friend = r.chance(p.friendReferralShare) ? { referral_code: `FR${fi}`, ...(r.chance(0.7) ? { referrer_account_id: existing[fi % existing.length]!.account } : {}) } : {}
      register(tr, u, family, 'legit', humanEmail(), humanPhone(), friend)
      if (r.chance(0.55)) claim(tr + r.int(20_000, 900_000), u, family, 'legit', 'new-user-20', ['new_user_coupon'])
    }
  }
  for (let day = 0; day < p.days; day++) newUsers(n(p.newUsersPerDay), () => dayTime(day))
  // The midnight rush: ~20x the normal hourly sign-up rate, and most of it claims right away.
  newUsers(n((p.newUsersPerDay / 24) * 19 * (p.rushMinutes / 60)), inRush)

  // --- hard negatives ---
  // Students behind one campus NAT, signing up and claiming together at the rush.
  // Students ship to the campus parcel stations (菜鸟驿站): a handful of addresses shared by hundreds.
  const campusStations = Array.from({ length: 3 }, () => `${r.pick(['北京市海淀区', '武汉市洪山区', '西安市长安区'])}${r.pick(['学院路', '珞喻路', '西沣路'])}${r.int(1, 300)}号 校园菜鸟驿站`)
  for (let i = 0; i < n(p.campusStudents); i++) {
    const u = person({ ip: () => r.pick(campusNat), address: r.pick(campusStations) })
    const tr = r.chance(0.6) ? inRush() - r.int(0, 1_800_000) : dayTime(r.int(0, p.days - 1))
    register(tr, u, 'campus_nat', 'legit')
    claim(tr + r.int(30_000, 1_200_000), u, 'campus_nat', 'legit', 'new-user-20', ['new_user_coupon'])
    for (let k = 0; k < 2; k++) {
      const t = dayTime(r.int(0, p.days - 1))
      if (r.chance(0.08)) login(t, u, 'campus_nat', 'legit', 'failure', ['typo'])
      login(t + 20_000, u, 'campus_nat', 'legit')
    }
  }
  // Families sharing one phone and one address; each member has an account.
  for (let i = 0; i < n(p.families); i++) {
    const shared = { device: device(r.pick(['ios', 'android'] as const)), ip: homeIp(), address: address() }
    const members = r.weighted([[2, 50], [3, 35], [4, 15]] as const)
    const tbase = dayTime(r.int(0, p.days - 1))
    for (let m = 0; m < members; m++) {
      const u = person({ ...shared, payment: m === 0 || r.chance(0.5) ? `pf_fam${i}` : `pf_${r.hex(12)}` })
      const tr = tbase + m * r.int(60_000, 3_600_000)
      register(tr, u, 'family_phone', 'legit')
      claim(tr + r.int(60_000, 1_800_000), u, 'family_phone', 'legit', 'new-user-20', ['new_user_coupon'])
      login(dayTime(r.int(0, p.days - 1)), u, 'family_phone', 'legit')
    }
  }
  // Office workers whose traffic leaves through a corporate proxy hosted on a cloud network.
  const officeAddress = '上海市浦东新区世纪大道100号 环球金融中心 前台'
  for (let i = 0; i < n(p.officeWorkers); i++) {
    // half of them have parcels sent to the office's front desk
    const u = person({ device: device('web'), ip: () => r.pick(officeProxy), createdAt: t0 - r.int(30, 900) * 86_400_000, ...(r.chance(0.5) ? { address: officeAddress } : {}) })
    for (let day = 0; day < p.days; day++) login(t0 + day * 86_400_000 + r.int(9, 17) * 3_600_000 + r.next() * 3_600_000, u, 'office_proxy', 'legit')
    if (r.chance(0.3)) claim(dayTime(r.int(0, p.days - 1)), u, 'office_proxy', 'legit', 'd11-50')
    if (r.chance(0.15)) {
      const nu = person({ device: device('web'), ip: u.ip })
      register(t0 + r.int(0, p.days - 1) * 86_400_000 + r.int(9, 17) * 3_600_000, nu, 'office_proxy', 'legit')
    }
  }

  // --- attacks ---
  // Sign-up farms: a rack of phones or emulators, proxies or cloud IPs, throwaway identities, scripted forms.
  const farmAccounts: { who: Person; farm: number }[] = []
  for (let f = 0; f < n(p.farms); f++) {
    const emulators = r.chance(0.6)
    const devices = Array.from({ length: r.int(4, 15) }, () => device(emulators ? 'android' : r.pick(['android', 'ios', 'web'] as const)))
    const viaCloud = r.chance(0.5)
    const v6farm = !viaCloud && r.chance(0.3) ? v6prefix([4134, 9808]) : undefined
    const ipFor = () => (v6farm ? v6(v6farm) : viaCloud ? v4(HOSTING) : v4(r.chance(0.5) ? CN_FIXED : CN_MOBILE))
    const mailStyle = r.weighted([['disposable', 35], ['digits', 40], ['gmail_dots', 10], ['random_free', 15]] as const)
    const gmailBase = `${r.pick(NAMES)}${r.pick(NAMES)}${r.int(10, 99)}`
    const start = r.chance(0.5) ? rushStart - r.int(2, 30) * 3_600_000 : t0 + r.next() * (span - 6 * 3_600_000)
    const count = r.int(60, 220)
    const pace = r.logNormal(25_000, 0.8)
    for (let i = 0; i < count; i++) {
      const dev = r.pick(devices)
      const u = person({ device: { ...dev, ua: r.chance(0.15) && dev.platform === 'web' ? r.pick(UA.scripted) : dev.ua }, ip: ipFor, address: address(), passwordManager: false })
      const email =
        mailStyle === 'disposable'
          ? `${r.hex(8)}@${r.pick(DISPOSABLE)}`
          : mailStyle === 'digits'
            ? `${r.int(100000000, 9999999999)}@${r.pick(['163.com', '126.com', 'qq.com', 'sina.com'])}`
            : mailStyle === 'gmail_dots'
              ? `${dotVariant(r, gmailBase)}${r.chance(0.4) ? `+${r.int(1, 999)}` : ''}@gmail.com`
              : humanEmail()
      const phone = r.chance(0.6) ? `+86${r.pick(VIRTUAL_SEGMENTS)}${String(r.int(0, 99999999)).padStart(8, '0')}` : humanPhone()
      const t = start + i * r.exp(pace)
      const scripted = r.chance(0.7)
      register(t, u, 'signup_farm', 'fraud', email, phone, {
        device: { id: dev.id, platform: dev.platform, emulator: emulators && r.chance(0.8), rooted: !emulators && r.chance(0.5), headless: dev.platform === 'web' && r.chance(0.3) },
        behavior: scripted ? { fill_ms: r.int(150, 2500), keystrokes: r.chance(0.5) ? 0 : r.int(8, 20), pointer_moves: r.int(0, 4), pastes: r.int(0, 3) } : humanBehavior(false),
      } as Partial<ScoreRequest>)
      farmAccounts.push({ who: u, farm: f })
    }
  }
  // The farms cash out at the rush: one claim per account, a handful of drop addresses.
  const drops = new Map<number, string[]>()
  for (const { who, farm } of farmAccounts) {
    if (!r.chance(0.85)) continue
    const d = drops.get(farm) ?? Array.from({ length: r.int(2, 5) }, address)
    drops.set(farm, d)
    who.address = r.pick(d)
    who.payment = `pf_farm${farm}_${r.int(0, 3)}`
    claim(Math.max(inRush(), (who.createdAt ?? 0) + 60_000), who, 'farm_cashout', 'fraud', r.chance(0.5) ? 'd11-50' : 'new-user-20', [], { behavior: { fill_ms: r.int(100, 1500), keystrokes: 0, pointer_moves: r.int(0, 3), pastes: 0 } } as Partial<ScoreRequest>)
  }
  // Credential stuffing through rotating residential proxies (one campaign rotates inside an IPv6 /64).
  const victims: Person[] = []
  for (let c = 0; c < n(p.stuffingCampaigns); c++) {
    const v6rot = c === 0 ? v6prefix([4134, 9808]) : undefined
    const scriptedUa = r.chance(0.4)
    const forgesSdk = r.chance(0.5)
    const start = t0 + r.next() * (span - 4 * 3_600_000)
    const attempts = r.int(1500, 3500)
    const rate = r.logNormal(1200, 0.5)
    let ip = v4(CN_FIXED)
    for (let i = 0; i < attempts; i++) {
      if (r.chance(0.35)) ip = v6rot ? v6(v6rot) : v4(r.chance(0.6) ? CN_FIXED : CN_MOBILE)
      const real = r.chance(0.3)
      const target = real ? r.pick(existing) : person()
      const bot: Person = { ...target, device: { id: r.chance(0.7) ? '' : `dev-${r.hex(16)}`, platform: 'web', ua: scriptedUa ? r.pick(UA.scripted) : uas.web.pick(r.next()) }, ip: () => ip }
      const t = start + i * r.exp(rate)
      const success = real && r.chance(0.04)
      const e = { ...common(t, bot, ip), event: 'login', account_id: target.account, outcome: success ? 'success' : 'failure', method: 'password' } as ScoreRequest & { device?: { id?: string }; behavior?: unknown }
      if (!bot.device.id) delete e.device
      // Better kits replay recorded SDK payloads.
      if (forgesSdk) e.behavior = { fill_ms: r.int(400, 6000), keystrokes: r.int(8, 24), pointer_moves: r.int(0, 30), pastes: r.int(0, 1) }
      push(e, 'fraud', success ? 'account_takeover' : 'credential_stuffing', [])
      if (success) victims.push(target)
    }
  }
  // Taken-over accounts cash out their coupons from the attacker's own device.
  for (const v of victims) {
    const atk: Person = { ...v, device: device('android'), ip: () => v4(r.chance(0.5) ? HOSTING : CN_MOBILE) }
    claim(inRush(), atk, 'account_takeover', 'fraud', 'd11-50', [], { behavior: { fill_ms: r.int(200, 2000), keystrokes: 0, pointer_moves: r.int(0, 5), pastes: 0 } } as Partial<ScoreRequest>)
  }
  // Coupon rings ("wool parties"): aged accounts, few phones, few addresses, all at the rush.
  for (let g = 0; g < n(p.rings); g++) {
    const devices = Array.from({ length: r.int(2, 5) }, () => device(r.pick(['android', 'ios'] as const)))
    const addrs = Array.from({ length: r.int(1, 3) }, address)
    const ips = Array.from({ length: r.int(2, 4) }, () => v4(r.chance(0.7) ? CN_FIXED : CN_MOBILE))
    const pays = Array.from({ length: r.int(1, 3) }, () => `pf_ring${g}_${r.hex(6)}`)
    for (let i = 0; i < r.int(15, 45); i++) {
      const u = person({ device: r.pick(devices), ip: () => r.pick(ips), address: r.pick(addrs), payment: r.pick(pays), createdAt: t0 - r.int(60, 400) * 86_400_000 })
      const t = inRush()
      login(t - r.int(5_000, 60_000), u, 'coupon_ring', 'fraud')
      claim(t, u, 'coupon_ring', 'fraud', 'd11-50', [], { account_created_at: iso(u.createdAt!), behavior: { fill_ms: r.int(800, 4000), keystrokes: 0, pointer_moves: r.int(2, 20), pastes: 0 } } as Partial<ScoreRequest>)
    }
  }
  // Low and slow: one real person with one inbox, alias after alias over days, from home.
  for (let s = 0; s < n(p.lowAndSlow); s++) {
    const me = person({ device: device(r.pick(['web', 'android', 'ios'] as const)), passwordManager: false })
    const base = `${r.pick(NAMES)}${r.pick(NAMES)}${r.int(1, 99)}`
    const domain = r.chance(0.7) ? 'gmail.com' : r.pick(['outlook.com', 'icloud.com'])
    for (let i = 0; i < r.int(4, 9); i++) {
      const u = { ...me, account: uid('u') }
      const local = domain === 'gmail.com' && r.chance(0.6) ? dotVariant(r, base) : `${base}+${r.pick(['a', 'shop', 'deal', 'x'])}${r.int(1, 99)}`
      const t = t0 + r.next() * span
      register(t, u, 'low_and_slow', 'fraud', `${local}@${domain}`, humanPhone())
      claim(t + r.int(60_000, 600_000), u, 'low_and_slow', 'fraud', 'new-user-20')
    }
  }

  // Invite-code farms (助力 / 拉新): bursts of fresh accounts behind a few referral codes, from a rack of
  // phones or emulators on mobile proxies and cloud machines, SMS-farm numbers, forms filled by scripts.
  for (let f = 0; f < n(p.inviteFarms); f++) {
    const emulators = r.chance(0.5)
    const devices = Array.from({ length: r.int(5, 14) }, () => device(emulators ? 'android' : r.pick(['android', 'ios'] as const)))
    const proxies = Array.from({ length: r.int(3, 8) }, () => (r.chance(0.4) ? v4(HOSTING) : v4(CN_MOBILE)))
    const start = r.chance(0.5) ? rushStart - r.int(1, 20) * 3_600_000 : t0 + r.next() * (span - 8 * 3_600_000)
    // The farm's three inviter accounts sign up first, from the same rack, an hour or so before the bursts.
    const inviters = Array.from({ length: 3 }, (_, k) => {
      const dev = r.pick(devices)
      const u = person({ device: dev, ip: () => r.pick(proxies), passwordManager: false })
      register(start - r.int(600_000, 7_200_000) + k * 60_000, u, 'invite_farm', 'fraud', humanEmail(), r.chance(0.5) ? `+86${r.pick(VIRTUAL_SEGMENTS)}${String(r.int(0, 99999999)).padStart(8, '0')}` : humanPhone(), {
        device: { id: dev.id, platform: dev.platform, emulator: emulators && r.chance(0.7), rooted: !emulators && r.chance(0.4), headless: false },
      } as Partial<ScoreRequest>)
      return { code: `INV${r.hex(6).toUpperCase()}`, account: u.account }
    })
    const invitedBy = () => {
      const inv = r.pick(inviters)
      return { referral_code: inv.code, ...(r.chance(0.7) ? { referrer_account_id: inv.account } : {}) }
    }
    const bursts = r.int(3, 6)
    for (let b = 0; b < bursts; b++) {
      const tb = start + b * r.int(1_800_000, 7_200_000)
      for (let i = 0; i < r.int(12, 35); i++) {
        const dev = r.pick(devices)
        const u = person({ device: dev, ip: () => r.pick(proxies), passwordManager: false })
        const phone = r.chance(0.55) ? `+86${r.pick(VIRTUAL_SEGMENTS)}${String(r.int(0, 99999999)).padStart(8, '0')}` : humanPhone()
        const scripted = r.chance(0.65)
        register(tb + i * r.exp(20_000), u, 'invite_farm', 'fraud', r.chance(0.5) ? `${r.int(100000000, 9999999999)}@${r.pick(['163.com', 'qq.com', '126.com'])}` : humanEmail(), phone, {
          ...invitedBy(),
          device: { id: dev.id, platform: dev.platform, emulator: emulators && r.chance(0.7), rooted: !emulators && r.chance(0.4), headless: false },
          behavior: scripted ? { fill_ms: r.int(300, 2800), keystrokes: r.int(0, 4), pointer_moves: r.int(0, 6), pastes: r.int(0, 2) } : humanBehavior(false),
        } as Partial<ScoreRequest>)
      }
    }
  }
  // An influencer's code: a day of real sign-ups, each from a person with a phone, a device and a network of their own.
  for (let k = 0; k < n(p.influencers); k++) {
    const code = `KOL${r.hex(5).toUpperCase()}`
    const owner = r.pick(existing).account
    const day = r.int(0, p.days - 1)
    const peak = t0 + day * 86_400_000 + r.int(10, 21) * 3_600_000
    for (let i = 0; i < r.int(150, 400); i++) {
      const u = person()
      const tr = peak + r.exp(2 * 3_600_000) - 600_000
      register(tr, u, 'influencer_invite', 'legit', humanEmail(), humanPhone(), { referral_code: code, ...(r.chance(0.7) ? { referrer_account_id: owner } : {}) })
      if (r.chance(0.6)) claim(tr + r.int(20_000, 900_000), u, 'influencer_invite', 'legit', 'new-user-20', ['new_user_coupon'])
    }
  }

  out.sort((a, b) => (a.occurred_at! < b.occurred_at! ? -1 : a.occurred_at! > b.occurred_at! ? 1 : 0))
  return out
}

function dotVariant(r: Rng, s: string): string {
  let o = ''
  for (let i = 0; i < s.length; i++) o += s[i] + (i < s.length - 1 && r.chance(0.25) ? '.' : '')
  return o
}
