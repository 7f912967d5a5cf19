import type { Catalog } from '../features/catalog.js'
import { BouncerList } from './lists.js'

/**
 * Compiles a rule's cel-js AST into one JavaScript function, once, at load (the way pino and ajv compile
 * their hot paths): each rule becomes its own small function that V8 optimises on its own, reading
 * features from an array in catalog order. Feature types are fixed by the catalog and an absent feature
 * keeps its type (NaN, false, ''), so most types are known here and plain JS operators are emitted; where
 * a type is not known, a checked helper throws like CEL's "no such overload". Literals enter the source
 * only through JSON.stringify or as numbers; lists, sets and regexes are passed in as arguments, never
 * written into the source.
 *
 * Supported: literals, features, comparisons, && || ! ?:, + - * /, `in` (list literals, named lists),
 * has(), size(), startsWith/endsWith/contains/matches. Anything else returns null and the rule keeps
 * cel-js's own evaluator. A differential test holds these functions to cel-js on shipped and random rules.
 */
export type Compiled = (slots: unknown[]) => unknown

type T = 'number' | 'bool' | 'string' | 'list' | 'dyn'
interface Gen {
  code: string
  type: T
}
interface Node {
  op: string
  args: unknown
}

function fail(msg: string): never {
  throw new Error(msg)
}
const HELPERS = {
  num: (x: unknown): number => (typeof x === 'number' ? x : fail('no such overload: expected a number')),
  bool: (x: unknown): boolean => (typeof x === 'boolean' ? x : fail('no such overload: expected a bool')),
  str: (x: unknown): string => (typeof x === 'string' ? x : fail('no such overload: expected a string')),
  eq: (a: unknown, b: unknown): boolean => (typeof a === typeof b ? a === b : false),
  ord: (a: unknown, b: unknown): [number | string, number | string] =>
    (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string') ? [a, b] : fail('no such overload: comparison'),
  inList: (x: unknown, l: unknown): boolean => (l instanceof BouncerList ? l.has(x) : Array.isArray(l) ? l.some((v) => (typeof v === typeof x ? v === x : false)) : fail('in needs a list')),
  size: (x: unknown): number => (typeof x === 'string' || Array.isArray(x) ? x.length : fail('size() needs a string or list')),
}

function featureName(node: unknown, catalog: Catalog): string | undefined {
  const n = node as Node
  if (n?.op !== '.') return undefined
  const [obj, field] = n.args as [Node, unknown]
  if (obj?.op !== 'id' || typeof field !== 'string') return undefined
  const name = `${obj.args as string}.${field}`
  return catalog.index.has(name) ? name : undefined
}

class Unsupported extends Error {}

const COMPARISONS = new Set(['<', '<=', '>', '>=', '==', '!='])

/**
 * An absent number is NaN, so every comparison with it is false, as rules/README.md promises. Two forms would
 * break the promise and match events that lack the number: `x != 6`, and `!( … x >= 6 … )`. They are refused
 * with the form that says what is meant. Returns the message, or undefined when the condition has neither.
 */
export function absentNumberTrap(ast: unknown, catalog: Catalog): string | undefined {
  const isNumber = (n: unknown) => {
    const name = featureName(n, catalog)
    return name !== undefined && catalog.index.get(name)!.type === 'number' ? name : undefined
  }
  const numberComparedIn = (node: unknown): string | undefined => {
    const { op, args } = (node ?? {}) as Node
    const a = Array.isArray(args) ? (args as unknown[]) : args !== undefined && typeof args === 'object' ? [args] : []
    if (COMPARISONS.has(op as string)) {
      const hit = a.map(isNumber).find((x) => x !== undefined)
      if (hit) return hit
    }
    for (const c of a) {
      const r = numberComparedIn(c)
      if (r) return r
    }
    return undefined
  }
  const walk = (node: unknown): string | undefined => {
    const { op, args } = (node ?? {}) as Node
    const a = Array.isArray(args) ? (args as unknown[]) : args !== undefined && typeof args === 'object' ? [args] : []
    if (op === '!=') {
      const f = a.map(isNumber).find((x) => x !== undefined)
      if (f) return `\`${f} != …\` is true for an event without ${f} (an absent number compares unequal to everything); write \`${f} < … || ${f} > …\`, or add \`has(${f})\` if absence should match`
    }
    if (op === '!_') {
      const f = numberComparedIn(a[0])
      if (f) return `\`!( … )\` around a comparison with ${f} is true for an event without ${f} (absent numbers compare false, and ! turns that into true); write the opposite comparison instead (\`${f} < 6\` for \`!(${f} >= 6)\`)`
    }
    for (const c of a) {
      const r = walk(c)
      if (r) return r
    }
    return undefined
  }
  return walk(ast)
}

export function compileAst(ast: unknown, resolveList: (name: string) => BouncerList | undefined, catalog: Catalog): Compiled | null {
  const consts: unknown[] = []
  const slots = new Map<number, string>()
  const constant = (v: unknown) => {
    consts.push(v)
    return `K[${consts.length - 1}]`
  }
  const as = (g: Gen, t: 'number' | 'bool' | 'string') => (g.type === t ? g.code : `H.${t === 'number' ? 'num' : t === 'bool' ? 'bool' : 'str'}(${g.code})`)

  const gen = (node: unknown): Gen => {
    const { op, args } = (node ?? {}) as Node
    const a = Array.isArray(args) ? (args as unknown[]) : []
    switch (op) {
      case 'value': {
        const v = typeof args === 'bigint' ? Number(args) : args
        if (typeof v === 'number') return { code: Number.isFinite(v) ? `(${v})` : constant(v), type: 'number' }
        if (typeof v === 'string') return { code: JSON.stringify(v), type: 'string' }
        if (typeof v === 'boolean') return { code: String(v), type: 'bool' }
        throw new Unsupported()
      }
      case '.': {
        const name = featureName(node, catalog)
        if (name === undefined) throw new Unsupported()
        const def = catalog.index.get(name)!
        const slot = catalog.slot.get(name)!
        const absent = def.type === 'number' ? 'NaN' : def.type === 'bool' ? 'false' : '""'
        slots.set(slot, `const f${slot} = s[${slot}] === undefined ? ${absent} : s[${slot}];`)
        return { code: `f${slot}`, type: def.type === 'bool' ? 'bool' : def.type }
      }
      case 'list': {
        const items = a.map(gen)
        return { code: `[${items.map((i) => i.code).join(', ')}]`, type: 'list' }
      }
      // unary operators carry their operand directly, not in an array
      case '!_':
        return { code: `!${as(gen(Array.isArray(args) ? a[0] : args), 'bool')}`, type: 'bool' }
      case '-_':
        return { code: `(-${as(gen(Array.isArray(args) ? a[0] : args), 'number')})`, type: 'number' }
      case '&&':
      case '||':
        return { code: `(${as(gen(a[0]), 'bool')} ${op} ${as(gen(a[1]), 'bool')})`, type: 'bool' }
      case '?:': {
        const y = gen(a[1])
        const n = gen(a[2])
        return { code: `(${as(gen(a[0]), 'bool')} ? ${y.code} : ${n.code})`, type: y.type === n.type ? y.type : 'dyn' }
      }
      case '==':
      case '!=':
      case '<':
      case '<=':
      case '>':
      case '>=':
      case '+':
      case '-':
      case '*':
      case '/': {
        const l = gen(a[0])
        const r = gen(a[1])
        if (op === '==' || op === '!=') {
          const same = l.type === r.type && l.type !== 'dyn' && l.type !== 'list'
          const eq = same ? `(${l.code} === ${r.code})` : `H.eq(${l.code}, ${r.code})`
          return { code: op === '==' ? eq : `!${eq}`, type: 'bool' }
        }
        if (op === '<' || op === '<=' || op === '>' || op === '>=') {
          if ((l.type === 'number' && r.type === 'number') || (l.type === 'string' && r.type === 'string')) return { code: `(${l.code} ${op} ${r.code})`, type: 'bool' }
          return { code: `((p) => p[0] ${op} p[1])(H.ord(${l.code}, ${r.code}))`, type: 'bool' }
        }
        if (op === '+' && l.type === 'string' && r.type === 'string') return { code: `(${l.code} + ${r.code})`, type: 'string' }
        return { code: `(${as(l, 'number')} ${op} ${as(r, 'number')})`, type: 'number' }
      }
      case 'in': {
        const l = gen(a[0])
        const right = a[1] as Node
        if (right?.op === 'list' && (right.args as Node[]).every((x) => x.op === 'value')) {
          const values = (right.args as Node[]).map((x) => (typeof x.args === 'bigint' ? Number(x.args) : x.args))
          if (l.type === 'number' || l.type === 'string') return { code: `${constant(new Set(values.filter((v) => typeof v === l.type)))}.has(${l.code})`, type: 'bool' }
        }
        return { code: `H.inList(${l.code}, ${gen(right).code})`, type: 'bool' }
      }
      case 'call': {
        const [name, callArgs] = a as [string, unknown[]]
        if (name === 'has' && callArgs.length === 1) {
          const feature = featureName(callArgs[0], catalog)
          if (feature === undefined) throw new Unsupported()
          return { code: `(s[${catalog.slot.get(feature)!}] !== undefined)`, type: 'bool' }
        }
        if (name === 'list' && callArgs.length === 1 && (callArgs[0] as Node)?.op === 'value' && typeof (callArgs[0] as Node).args === 'string') {
          const l = resolveList((callArgs[0] as Node).args as string)
          if (!l) throw new Unsupported()
          return { code: constant(l), type: 'dyn' }
        }
        if (name === 'size' && callArgs.length === 1) return { code: `H.size(${gen(callArgs[0]).code})`, type: 'number' }
        throw new Unsupported()
      }
      case 'rcall': {
        const [method, recv, callArgs] = a as [string, unknown, unknown[]]
        if (callArgs.length !== 1) throw new Unsupported()
        const o = as(gen(recv), 'string')
        if (method === 'matches') {
          const lit = callArgs[0] as Node
          if (lit.op !== 'value' || typeof lit.args !== 'string') throw new Unsupported()
          let re: RegExp
          try {
            re = new RegExp(lit.args)
          } catch {
            throw new Unsupported()
          }
          return { code: `${constant(re)}.test(${o})`, type: 'bool' }
        }
        const arg = as(gen(callArgs[0]), 'string')
        if (method === 'startsWith' || method === 'endsWith') return { code: `${o}.${method}(${arg})`, type: 'bool' }
        if (method === 'contains') return { code: `${o}.includes(${arg})`, type: 'bool' }
        throw new Unsupported()
      }
      default:
        throw new Unsupported()
    }
  }

  let body: Gen
  try {
    body = gen(ast)
  } catch (err) {
    if (err instanceof Unsupported) return null
    throw err
  }
  const source = `${[...slots.values()].join('\n')}\nreturn ${body.code};`
  const factory = new Function('K', 'H', `return function rule(s) {\n${source}\n}`) as (k: unknown[], h: typeof HELPERS) => Compiled
  return factory(consts, HELPERS)
}
