import { DisposableDomains } from './email.js'
import { AsnDb } from './ipinfo.js'

/** Data sets that cost a second to load are shared by every runtime in the process (tests build many). */
let shared: { asn: AsnDb; disposable: DisposableDomains } | undefined
export function sharedSignalData(): { asn: AsnDb; disposable: DisposableDomains } {
  shared ??= { asn: AsnDb.fromPackage(), disposable: new DisposableDomains() }
  return shared
}
