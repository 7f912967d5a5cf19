-- undo: take back what counters.lua added for an event that turned out to be a replay (its claim was
-- refused after the counters ran in the same pipelined round trip).
-- KEYS: one key per op, then the account memory key when ARGV[2] == '1'
-- ARGV: opCount, accountWasSet, then per op:
--   count:    'c', bucket, add
--   distinct: 'd', member, priorScore (-1: the member was new)
-- HyperLogLog slices are not undone: they only matter past the distinct cap, where counts are estimates.
local opCount = tonumber(ARGV[1])
if ARGV[2] == '1' then redis.call('DEL', KEYS[opCount + 1]) end
local a = 3
for i = 1, opCount do
  local key = KEYS[i]
  if ARGV[a] == 'c' then
    local bucket = ARGV[a + 1]
    local add = tonumber(ARGV[a + 2])
    if redis.call('HEXISTS', key, bucket) == 1 then
      if redis.call('HINCRBY', key, bucket, -add) <= 0 then redis.call('HDEL', key, bucket) end
      local o = tonumber(redis.call('HGET', key, 'o'))
      if o and tonumber(bucket) >= o then redis.call('HINCRBY', key, 's', -add) end
    end
  else
    local member = ARGV[a + 1]
    local prior = ARGV[a + 2]
    if prior == '-1' then redis.call('ZREM', key, member) else redis.call('ZADD', key, 'XX', prior, member) end
  end
  a = a + 3
end
return 1
