-- undo: take back what counters.lua added for an event that turned out to be a replay (its claim was
-- refused after the counters ran in the same pipelined round trip).
-- KEYS: one key per op, then the account memory key when ARGV[2] == '1'
-- ARGV: opCount, accountWasSet, now, then per op:
--   count:    'c', add, nWindows, bucketsPerWindow, window1 .. windowN
--   distinct: 'd', member, priorScore (-1: the member was new)
-- HyperLogLog slices are not undone: they only matter past the distinct cap, where counts are estimates.
local opCount = tonumber(ARGV[1])
local now = tonumber(ARGV[3])
if ARGV[2] == '1' then redis.call('DEL', KEYS[opCount + 1]) end
local a = 4
for i = 1, opCount do
  local key = KEYS[i]
  if ARGV[a] == 'c' then
    local add = tonumber(ARGV[a + 1])
    local n = tonumber(ARGV[a + 2])
    local width = tonumber(ARGV[a + 3])
    for w = 1, n do
      local bucket = math.floor(now / (tonumber(ARGV[a + 3 + w]) / width))
      local field = w .. ':' .. bucket
      if redis.call('HEXISTS', key, field) == 1 then
        if redis.call('HINCRBY', key, field, -add) <= 0 then redis.call('HDEL', key, field) end
        local o = tonumber(redis.call('HGET', key, 'o' .. w))
        if o and bucket >= o then redis.call('HINCRBY', key, 's' .. w, -add) end
      end
    end
    a = a + 4 + n
  else
    local member = ARGV[a + 1]
    local prior = ARGV[a + 2]
    if prior == '-1' then redis.call('ZREM', key, member) else redis.call('ZADD', key, 'XX', prior, member) end
    a = a + 3
  end
end
return 1
