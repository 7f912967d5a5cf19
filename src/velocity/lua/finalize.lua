-- finalize: store the decision under the idempotency key (replacing this request's pending claim),
-- and update the account memory when given.
-- KEYS[1] idempotency key, KEYS[2] account key (unused when ARGV[3] == '')
-- ARGV: response, idemTtlMs, accountValue, accountTtlMs
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if ARGV[3] ~= '' then redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4]) end
return 1
