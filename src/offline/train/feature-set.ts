import type { Catalog } from '../../features/catalog.js'

export type ModelKind = 'gbt' | 'lr'

// Numbers and booleans the service computes, minus identifiers-as-numbers and the model's own output.
// A network the account has used before (account.prefix_events_30d) is Bouncer's memory too: on a fresh
// deployment, or in a three-day simulation, every shopper is new to it. In the trees it read "new network +
// failed password" as stuffing and challenged a fresh service's first typo; it stays in rules, where it only
// spares known networks. The same goes for the account's device and event counts. What the trees get instead is
// account.new_device / account.new_prefix, which are true only where Bouncer has history and the device or network
// is new to it, and false on a fresh deployment: novelty is evidence, being unwatched is not.
// Account memory stays in rules: as a linear term it reads "known to Bouncer" as risk, which is an artefact of who
// registers during a simulation, not of fraud (issue 5's tree model can revisit).
// The password check's outcome stays out too: most failures in any traffic are attacks, so a linear model learns
// "failed" = fraud and challenges every typo (27% of legit failed logins when it was in). A lone failure gives an
// attacker nothing; the failure *counters* (per IP, prefix, account) carry the stuffing signal.
// Whole-site counts depend on the storefront's size and do not transfer from simulation to a real site. Their
// ratio does, but as a linear term it challenges every legit login during a campaign (measured: office-proxy
// friction 0% -> 7.5%, family 3.5% -> 9.1%, typos only 16% -> 14%); it needs a model that can combine it with
// per-event evidence (issue 5). Rules can use it today.
const EXCLUDED = ['model.score', 'ip.asn', 'ip.private', 'account.known', 'account.reg_score', 'account.reg_flagged', 'account.reg_same_device', 'account.reg_same_prefix', 'referrer.known', 'referrer.age_s', 'referrer.reg_score', 'referrer.reg_flagged', 'referrer.same_device', 'account.prefix_events_30d', 'account.device_events_30d', 'account.events_30d', 'login.failure', 'site.logins_10m', 'site.login_failures_10m']

/** The features a model of this kind is trained on, in input order. Trees also take the site-wide failure ratio. */
export function modelFeatures(kind: ModelKind, catalog: Catalog): string[] {
  const exclude = new Set(EXCLUDED)
  // Trees can combine the ratio with per-event evidence; the linear model cannot (see above).
  if (kind === 'lr') exclude.add('site.login_failure_ratio_10m')
  return catalog.features.filter((f) => f.type !== 'string' && !exclude.has(f.name)).map((f) => f.name)
}

export const GBT_PARAMS = { trees: 150, depth: 4, learningRate: 0.1, bins: 32, lambda: 1, minChildWeight: 2 }
export const LR_PARAMS = { iterations: 400, learningRate: 0.5, l2: 1e-3 }
