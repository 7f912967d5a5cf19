-- claim: take the idempotency key of one event, or report what holds it.
-- KEYS[1] idempotency key
-- ARGV: claimTtlMs, nonce
-- Returns {1} for a fresh event, {0, stored} for a replay, {2} while another request holds the claim.
local existing = redis.call('GET', KEYS[1])
if existing then
  if string.sub(existing, 1, 8) == 'pending:' then return {2} end
  return {0, existing}
end
-- The claim is short-lived: if this request dies before storing its decision, a retry can score afresh.
redis.call('SET', KEYS[1], 'pending:' .. ARGV[2], 'PX', ARGV[1])
return {1}
