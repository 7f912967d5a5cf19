-- release: drop an event's pending claim, only if it is still this request's (an answer stored since, or
-- another request's claim, stays).
-- KEYS[1] idempotency key
-- ARGV: the pending value ('pending:' .. nonce)
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0
