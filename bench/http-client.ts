import { connect, type Socket } from 'node:net'

export interface Reply {
  status: number
  body: string
  /** the status line and headers, as received */
  head: string
}

interface Pending {
  resolve: (r: Reply) => void
  reject: (e: Error) => void
}

/** One keep-alive HTTP/1.1 connection carrying one request at a time (no pipelining: no head-of-line wait). */
class Conn {
  readonly socket: Socket
  private buf = ''
  private pending: Pending | undefined
  closed = false

  constructor(host: string, port: number, private readonly onFree: (c: Conn) => void, private readonly onClose: (c: Conn) => void) {
    this.socket = connect({ host, port, noDelay: true })
    this.socket.setEncoding('latin1')
    this.socket.on('data', (chunk: string) => this.onData(chunk))
    const fail = (err?: Error) => {
      this.closed = true
      const p = this.pending
      this.pending = undefined
      p?.reject(err ?? new Error('connection closed'))
      this.onClose(this)
    }
    this.socket.on('error', fail)
    this.socket.on('close', () => fail())
  }

  send(head: string, body: string, p: Pending): void {
    this.pending = p
    this.socket.write(head + body, 'utf8')
  }

  private onData(chunk: string): void {
    this.buf += chunk
    const end = this.buf.indexOf('\r\n\r\n')
    if (end < 0) return
    // latin1 keeps one char per byte, so Content-Length indexes the buffer directly
    const head = this.buf.slice(0, end)
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(head)
    if (!m) {
      this.socket.destroy(new Error(`response without content-length: ${head.split('\r\n')[0]}`))
      return
    }
    const total = end + 4 + Number(m[1])
    if (this.buf.length < total) return
    const status = Number(head.slice(9, 12))
    const body = Buffer.from(this.buf.slice(end + 4, total), 'latin1').toString('utf8')
    this.buf = this.buf.slice(total)
    const p = this.pending!
    this.pending = undefined
    const close = /\r\nconnection:\s*close/i.test(head)
    if (close) this.socket.end()
    else this.onFree(this)
    p.resolve({ status, body, head })
  }
}

/**
 * The load generator's HTTP client: keep-alive HTTP/1.1 over plain sockets, the request head built once,
 * responses parsed only as far as status, Content-Length and body. It costs the generator a fraction of
 * node:http's CPU per request (`npm run bench:service` prints it), and the generator shares the machine
 * with the service and Redis it measures. Each connection carries one request at a time; a request
 * with no free connection opens another, so a slow target never delays when a request is sent.
 */
export class Client {
  private readonly host: string
  private readonly port: number
  private readonly idle: Conn[] = []
  private readonly all = new Set<Conn>()
  private readonly heads = new Map<string, string>()
  private readonly extra: string

  /** requests waiting for a connection once `maxSockets` are busy, oldest first */
  private readonly waiting: { head: string; body: string; p: Pending }[] = []

  constructor(url: string, headers: Record<string, string> = {}, private readonly maxSockets = 256) {
    const u = new URL(url)
    this.host = u.hostname
    this.port = Number(u.port)
    this.extra = Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('')
  }

  /** open connections */
  get connections(): number {
    return this.all.size
  }

  post(path: string, body: string): Promise<Reply> {
    let head = this.heads.get(path)
    if (head === undefined) {
      head = `POST ${path} HTTP/1.1\r\nhost: ${this.host}:${this.port}\r\ncontent-type: application/json\r\n${this.extra}content-length: `
      this.heads.set(path, head)
    }
    const full = `${head}${Buffer.byteLength(body)}\r\n\r\n`
    return new Promise((resolve, reject) => {
      const conn = this.idle.pop() ?? (this.all.size < this.maxSockets ? this.open() : undefined)
      // Past maxSockets a request waits for a connection, as a browser's or an agent's would; its latency
      // still counts from when it was due. (Opening sockets without bound overflows the listen backlog.)
      if (conn) conn.send(full, body, { resolve, reject })
      else this.waiting.push({ head: full, body, p: { resolve, reject } })
    })
  }

  private free(c: Conn): void {
    const next = this.waiting.shift()
    if (next) c.send(next.head, next.body, next.p)
    else this.idle.push(c)
  }

  private open(): Conn {
    const c = new Conn(
      this.host,
      this.port,
      (free) => this.free(free),
      (gone) => {
        this.all.delete(gone)
        const i = this.idle.indexOf(gone)
        if (i >= 0) this.idle.splice(i, 1)
        // a waiting request takes a fresh connection in place of the lost one
        const next = this.waiting.shift()
        if (next) this.open().send(next.head, next.body, next.p)
      },
    )
    this.all.add(c)
    return c
  }

  close(): void {
    for (const c of this.all) c.socket.destroy()
    this.all.clear()
    this.idle.length = 0
    for (const w of this.waiting.splice(0)) w.p.reject(new Error('client closed'))
  }
}
