import { parsePhoneNumberFromString } from 'libphonenumber-js/max'

export interface PhoneSignals {
  present: boolean
  valid: boolean
  e164: string
  country: string
  mobile: boolean
  /** Chinese mobile virtual network operator segments (170/171/162/165/167), the staple of SMS farms */
  virtual_operator: boolean
}

const CN_VIRTUAL = /^(170|171|162|165|167)/

export function phoneSignals(raw: string | undefined): PhoneSignals | undefined {
  if (raw === undefined) return undefined
  // eslint-disable-next-line no-control-regex
  const cleaned = raw.normalize('NFKC').replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 64)
  // Bare 11-digit numbers starting with 1 are the usual Chinese mobile form without +86.
  const p = parsePhoneNumberFromString(cleaned, /^1\d{10}$/.test(cleaned) ? 'CN' : undefined)
  if (!p) return { present: true, valid: false, e164: cleaned.replace(/[^\d+]/g, ''), country: '', mobile: false, virtual_operator: false }
  const type = p.getType()
  return {
    present: true,
    valid: p.isValid(),
    e164: p.number,
    country: p.country ?? '',
    mobile: type === 'MOBILE' || type === 'FIXED_LINE_OR_MOBILE',
    virtual_operator: p.countryCallingCode === '86' && CN_VIRTUAL.test(p.nationalNumber),
  }
}
