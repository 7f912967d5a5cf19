import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

export interface EmailSignals {
  present: boolean
  malformed: boolean
  domain: string
  /** folded form used as a velocity key: lower-case NFKC, provider-specific dots and +tags removed */
  canonical: string
  disposable: boolean
  free_mail: boolean
  plus_tag: boolean
  /** the address differs from its canonical form in more than case: a classic alias farm trick */
  folded: boolean
  local_length: number
  digit_ratio: number
}

// Providers that ignore dots in the local part (Gmail only, in practice).
const DOT_INSENSITIVE = new Set(['gmail.com', 'googlemail.com'])
// Providers that deliver `local+tag@` to `local@`.
const PLUS_TAGS = new Set([
  'gmail.com', 'googlemail.com', 'outlook.com', 'hotmail.com', 'live.com', 'msn.com', 'icloud.com', 'me.com',
  'mac.com', 'protonmail.com', 'proton.me', 'pm.me', 'fastmail.com', 'zoho.com', 'yandex.ru', 'yandex.com',
])
const DOMAIN_ALIASES: Record<string, string> = { 'googlemail.com': 'gmail.com' }
const FREE_MAIL = new Set([
  'qq.com', 'foxmail.com', '163.com', '126.com', 'yeah.net', 'sina.com', 'sina.cn', 'sohu.com', 'aliyun.com',
  '139.com', '189.cn', 'wo.cn', 'gmail.com', 'googlemail.com', 'outlook.com', 'hotmail.com', 'live.com', 'msn.com',
  'yahoo.com', 'yahoo.co.jp', 'icloud.com', 'me.com', 'mac.com', 'proton.me', 'protonmail.com', 'aol.com',
  'gmx.com', 'gmx.de', 'mail.ru', 'yandex.ru', 'naver.com', 'daum.net',
])

/** Disposable-domain lookup built once from the maintained `disposable-email-domains` list. */
export class DisposableDomains {
  private readonly exact: Set<string>
  private readonly wildcard: Set<string>
  constructor(extra: Iterable<string> = []) {
    this.exact = new Set<string>(require('disposable-email-domains/index.json') as string[])
    this.wildcard = new Set<string>(require('disposable-email-domains/wildcard.json') as string[])
    for (const d of extra) this.exact.add(d.toLowerCase())
  }
  has(domain: string): boolean {
    if (this.exact.has(domain)) return true
    // wildcard entries match any subdomain: x.y.mailinator.example
    let i = domain.indexOf('.')
    while (i >= 0) {
      const parent = domain.slice(i + 1)
      if (this.wildcard.has(parent) || this.exact.has(parent)) return true
      i = domain.indexOf('.', i + 1)
    }
    return this.wildcard.has(domain)
  }
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]/g
const LOCAL_OK = /^[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$/
const DOMAIN_OK = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/

export interface NormalizedEmail {
  local: string
  domain: string
  canonical: string
  malformed: boolean
  plusTag: boolean
  folded: boolean
}

export function normalizeEmail(raw: string): NormalizedEmail {
  const cleaned = raw.normalize('NFKC').replace(CONTROL, '').trim().toLowerCase().slice(0, 320)
  const at = cleaned.lastIndexOf('@')
  if (at <= 0 || at === cleaned.length - 1) {
    return { local: cleaned, domain: '', canonical: cleaned, malformed: true, plusTag: false, folded: false }
  }
  const original = cleaned.slice(0, at)
  let local = original
  const rawDomain = cleaned.slice(at + 1)
  const domain = DOMAIN_ALIASES[rawDomain] ?? rawDomain
  const malformed = !LOCAL_OK.test(local) || !DOMAIN_OK.test(domain) || cleaned !== raw.trim().toLowerCase()
  let plusTag = false
  const plus = local.indexOf('+')
  if (plus > 0 && PLUS_TAGS.has(domain)) {
    local = local.slice(0, plus)
    plusTag = true
  }
  if (DOT_INSENSITIVE.has(domain)) local = local.replaceAll('.', '')
  return { local, domain, canonical: `${local}@${domain}`, malformed, plusTag, folded: local !== original }
}

export function emailSignals(raw: string | undefined, disposable: DisposableDomains): EmailSignals | undefined {
  if (raw === undefined) return undefined
  const n = normalizeEmail(raw)
  let digits = 0
  for (const ch of n.local) if (ch >= '0' && ch <= '9') digits++
  return {
    present: true,
    malformed: n.malformed,
    domain: n.domain,
    canonical: n.canonical,
    disposable: n.domain !== '' && disposable.has(n.domain),
    free_mail: FREE_MAIL.has(n.domain),
    plus_tag: n.plusTag,
    folded: n.folded,
    local_length: n.local.length,
    digit_ratio: n.local.length === 0 ? 0 : Math.round((digits / n.local.length) * 1000) / 1000,
  }
}
