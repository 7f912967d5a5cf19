-- score_batch: claim the idempotency key, then read and update every velocity counter of one event,
-- atomically and in one round trip.
-- KEYS[1]  idempotency key
-- KEYS[2]  account memory key ('' slot unused when ARGV[5] == '0')
-- KEYS[3..] one key per counter op
-- ARGV: now, idemTtlMs, nonce, opCount, hasAccount, accountSetIfAbsent, accountTtlMs, then per op:
--   count:    'c', add, windowMs, bucketMs
--   distinct: 'd', member, cap, nWindows, window1 .. windowN
-- Returns {0, stored} for a replay, {2} while another request holds the claim,
-- or {1, accountValueOrFalse, v1, v2, ...} for a fresh event.
local now = tonumber(ARGV[1])
local existing = redis.call('GET', KEYS[1])
if existing then
  if string.sub(existing, 1, 8) == 'pending:' then return {2} end
  return {0, existing}
end
-- The claim is short-lived: if this request dies before storing its decision, a retry can score afresh.
redis.call('SET', KEYS[1], 'pending:' .. ARGV[3], 'PX', math.min(tonumber(ARGV[2]), 30000))

local account = false
if ARGV[5] == '1' then
  if ARGV[6] ~= '' then redis.call('SET', KEYS[2], ARGV[6], 'NX', 'PX', ARGV[7]) end
  account = redis.call('GET', KEYS[2])
end

local out = {1, account}
local a = 8
local opCount = tonumber(ARGV[4])
for i = 1, opCount do
  local key = KEYS[2 + i]
  local kind = ARGV[a]
  if kind == 'c' then
    -- Sliding window in buckets with a running sum: field 's' is the sum of the buckets still in the window,
    -- 'o' the oldest bucket counted. Buckets that left the window are subtracted and deleted as time moves,
    -- usually none or one per access, instead of reading every bucket each time.
    local add = tonumber(ARGV[a + 1])
    local windowMs = tonumber(ARGV[a + 2])
    local bucketMs = tonumber(ARGV[a + 3])
    a = a + 4
    local bucket = math.floor(now / bucketMs)
    local width = math.floor(windowMs / bucketMs)
    local oldest = bucket - width + 1
    local meta = redis.call('HMGET', key, 's', 'o')
    local sum = tonumber(meta[1]) or 0
    local o = tonumber(meta[2])
    if o == nil then
      o = oldest
    elseif o < oldest then
      if oldest - o >= width then
        -- everything counted is older than the window
        redis.call('DEL', key)
        sum = 0
      else
        for b = o, oldest - 1 do
          local v = redis.call('HGET', key, b)
          if v then
            sum = sum - tonumber(v)
            redis.call('HDEL', key, b)
          end
        end
      end
      o = oldest
    end
    if add > 0 then
      redis.call('HINCRBY', key, bucket, add)
      sum = sum + add
      redis.call('HSET', key, 's', sum, 'o', o)
      redis.call('PEXPIRE', key, windowMs + bucketMs)
    elseif redis.call('EXISTS', key) == 1 then
      redis.call('HSET', key, 's', sum, 'o', o)
    end
    out[#out + 1] = sum
  else
    local member = ARGV[a + 1]
    local cap = tonumber(ARGV[a + 2])
    local n = tonumber(ARGV[a + 3])
    local longest = 0
    for w = 1, n do
      local win = tonumber(ARGV[a + 3 + w])
      if win > longest then longest = win end
    end
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now - longest)
    if member ~= '' then
      redis.call('ZADD', key, now, member)
      local card = redis.call('ZCARD', key)
      if card > cap then redis.call('ZREMRANGEBYRANK', key, 0, card - cap - 1) end
      redis.call('PEXPIRE', key, longest)
    end
    for w = 1, n do
      out[#out + 1] = redis.call('ZCOUNT', key, now - tonumber(ARGV[a + 3 + w]) + 1, '+inf')
    end
    a = a + 4 + n
  end
end
return out
