import type { Socket } from 'node:net'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'

export interface ApiIssue {
  path: string
  message: string
}

/** Stable machine codes for every error the API returns. */
export type ErrorCode =
  | 'invalid_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'payload_too_large'
  | 'request_timeout'
  | 'headers_too_large'
  | 'unsupported_media_type'
  | 'rules_invalid'
  | 'model_invalid'
  | 'service_unavailable'
  | 'internal_error'

export function sendError(reply: FastifyReply, status: number, error: ErrorCode, message: string, issues?: ApiIssue[]): FastifyReply {
  return reply.code(status).type('application/json').send(issues ? { error, message, issues } : { error, message })
}

/** Fastify's own parser errors mapped onto the contract's shapes; anything else is ours and a 500. */
export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const status = err.statusCode ?? 500
  if (status === 413) return sendError(reply, 413, 'payload_too_large', `body exceeds the ${req.routeOptions.bodyLimit ?? 65536}-byte limit`)
  if (status === 415) return sendError(reply, 415, 'unsupported_media_type', 'Content-Type must be application/json')
  if (status >= 400 && status < 500) {
    const message = err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'body is empty; send a JSON object' : err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError ? `body is not valid JSON: ${err.message}` : err.message
    return sendError(reply, 400, 'invalid_request', message, [{ path: '(body)', message }])
  }
  req.log.error({ err }, 'unhandled error')
  return sendError(reply, 500, 'internal_error', 'internal error')
}

/**
 * Errors Node's HTTP parser raises before a request exists (a stalled body, oversized headers, bytes that are
 * not HTTP), answered in the contract's shape instead of Node's own `"Bad Request"` texts, then closed.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  const [status, error, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'request_timeout', 'the request did not arrive in time (REQUEST_TIMEOUT_MS)']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'headers_too_large', 'request headers are too large']
        : [400, 'invalid_request', 'malformed HTTP request']
  if (!socket.writable) return void socket.destroy()
  const body = JSON.stringify({ error, message })
  const reason = status === 408 ? 'Request Timeout' : status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
}
