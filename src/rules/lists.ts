import { CidrSet } from '../util/ip.js'

/**
 * Lists under rules/lists/, one entry per line, `#` comments. The file name's suffix says what it holds:
 *   *_ips.txt       IPv4/IPv6 addresses and CIDR ranges      ip.address in list('blocked_ips')
 *   *_domains.txt   email domains; a parent matches subdomains  email.domain in list('partner_domains')
 *   *_devices.txt   device ids                                device.id in list('trusted_devices')
 *   *_accounts.txt  account ids                               account.id in list('vip_accounts')
 *   *_asns.txt      autonomous system numbers                  ip.asn in list('hosting_asns')
 */
export type ListKind = 'ip' | 'domain' | 'device' | 'account' | 'asn'
export const LIST_SUFFIXES: Record<string, ListKind> = { _ips: 'ip', _domains: 'domain', _devices: 'device', _accounts: 'account', _asns: 'asn' }

export function listKind(name: string): ListKind | undefined {
  for (const [suffix, kind] of Object.entries(LIST_SUFFIXES)) if (name.endsWith(suffix)) return kind
  return undefined
}

export interface ListError {
  line: number
  message: string
}

/** A named list as CEL sees it: `value in list('name')`. */
export class BouncerList {
  constructor(
    readonly name: string,
    readonly kind: ListKind,
    private readonly test: (v: string | number) => boolean,
    readonly size: number,
  ) {}
  has(v: unknown): boolean {
    return (typeof v === 'string' || typeof v === 'number') && this.test(v)
  }
}

export function parseList(name: string, text: string): { list?: BouncerList; errors: ListError[] } {
  const kind = listKind(name)
  if (!kind) return { errors: [{ line: 1, message: `list name must end in ${Object.keys(LIST_SUFFIXES).join(', ')} (it says what the list holds)` }] }
  const entries: { value: string; line: number }[] = []
  text.split('\n').forEach((raw, i) => {
    const value = raw.replace(/#.*/, '').trim()
    if (value !== '') entries.push({ value, line: i + 1 })
  })
  const errors: ListError[] = []
  let test: (v: string | number) => boolean
  if (kind === 'ip') test = CidrSet.matcher(entries, errors)
  else if (kind === 'asn') {
    const set = new Set<number>()
    for (const { value, line } of entries) {
      const n = Number(value.replace(/^AS/i, ''))
      if (Number.isInteger(n) && n > 0) set.add(n)
      else errors.push({ line, message: `not an AS number: ${value}` })
    }
    test = (v) => set.has(Number(v))
  } else if (kind === 'domain') {
    const set = new Set(entries.map((e) => e.value.toLowerCase().replace(/^\*?\./, '')))
    test = (v) => {
      if (typeof v !== 'string') return false
      let d = v.toLowerCase()
      for (;;) {
        if (set.has(d)) return true
        const dot = d.indexOf('.')
        if (dot < 0) return false
        d = d.slice(dot + 1)
      }
    }
  } else {
    const set = new Set(entries.map((e) => e.value))
    test = (v) => typeof v === 'string' && set.has(v)
  }
  return { list: new BouncerList(name, kind, test, entries.length), errors }
}
