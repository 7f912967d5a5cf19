-- counters: read and update every counter of one entity group of one event, atomically.
-- Every key shares one hash tag ({ip:...}, {account:...}), so the call touches one Redis Cluster slot; the
-- HyperLogLog keys derived from a distinct key (key .. ':h...') carry its tag too, so they stay in that slot.
-- On a single Redis node the whole event is one call: every op, and the idempotency claim first (ARGV[6]
-- == '1'), so a replay touches nothing. On a cluster the claim is its own call (claim.lua) in the same
-- pipeline, and a replay's counters are taken back by undo.lua.
-- KEYS: one key per op, then the account memory key when ARGV[3] == '1', then the idempotency key when
-- ARGV[6] == '1'
-- ARGV: now, opCount, hasAccount, accountSetIfAbsent, accountTtlMs, claim, claimTtlMs, nonce, then per op:
--   count:    'c', add, nWindows, bucketsPerWindow, window1 .. windowN (one hash for all windows)
--   distinct: 'd', member ('' to only read), cap, nWindows, window1 .. windowN
-- Returns {accountWasSet, accountValueOrFalse, v1, v2, ..., then for each distinct op with a member
-- the member's previous score or -1}: what an undo needs if the event turns out to be a replay.
-- With the claim: {-1, 0, stored} for a replay, {-1, 2} while another request holds the claim.
local now = tonumber(ARGV[1])
local opCount = tonumber(ARGV[2])
if ARGV[6] == '1' then
  local idem = KEYS[opCount + tonumber(ARGV[3]) + 1]
  local existing = redis.call('GET', idem)
  if existing then
    if string.sub(existing, 1, 8) == 'pending:' then return {-1, 2} end
    return {-1, 0, existing}
  end
  redis.call('SET', idem, 'pending:' .. ARGV[8], 'PX', ARGV[7])
end
-- HyperLogLog sub-buckets per window, used only once a distinct set has passed its cap.
local HLL_SLICES = 6

local out = {0, false}
local priors = {}
if ARGV[3] == '1' then
  local akey = KEYS[opCount + 1]
  if ARGV[4] ~= '' and redis.call('SET', akey, ARGV[4], 'NX', 'PX', ARGV[5]) then out[1] = 1 end
  out[2] = redis.call('GET', akey)
end

local function hll_key(key, w, slice) return key .. ':h:' .. w .. ':' .. slice end

local a = 9
for i = 1, opCount do
  local key = KEYS[i]
  local kind = ARGV[a]
  if kind == 'c' then
    -- One hash per counter holds all its windows. For window i: field 's'..i is the sum of its buckets still
    -- in the window, 'o'..i the oldest bucket counted, i..':'..b the buckets. Buckets that left the window
    -- are subtracted and deleted as time moves (usually none or one per access), never all re-read.
    local add = tonumber(ARGV[a + 1])
    local n = tonumber(ARGV[a + 2])
    local width = tonumber(ARGV[a + 3])
    local fields = {}
    for i = 1, n do
      fields[2 * i - 1] = 's' .. i
      fields[2 * i] = 'o' .. i
    end
    local meta = redis.call('HMGET', key, unpack(fields))
    local longest = 0
    for i = 1, n do
      local w = tonumber(ARGV[a + 3 + i])
      if w > longest then longest = w end
    end
    local set = {}
    for i = 1, n do
      local windowMs = tonumber(ARGV[a + 3 + i])
      local bucketMs = windowMs / width
      local bucket = math.floor(now / bucketMs)
      local oldest = bucket - width + 1
      local sum = tonumber(meta[2 * i - 1]) or 0
      local o = tonumber(meta[2 * i])
      local moved = false
      if o == nil then
        o = oldest
      elseif o < oldest then
        moved = true
        local gone = oldest - o >= width
        local last = oldest - 1
        if gone then last = o + width - 1 end
        local stale = {}
        for b = o, last do stale[#stale + 1] = i .. ':' .. b end
        if gone then
          sum = 0
        else
          local vals = redis.call('HMGET', key, unpack(stale))
          for j = 1, #vals do
            if vals[j] then sum = sum - tonumber(vals[j]) end
          end
        end
        redis.call('HDEL', key, unpack(stale))
        o = oldest
      end
      if add > 0 then
        -- The TTL follows the longest window, set on the first add to one of its buckets: window + bucket
        -- from then outlives every count of it (and of every shorter window).
        if redis.call('HINCRBY', key, i .. ':' .. bucket, add) == add and windowMs == longest then redis.call('PEXPIRE', key, windowMs + bucketMs) end
        sum = sum + add
        set[#set + 1] = 's' .. i
        set[#set + 1] = sum
        set[#set + 1] = 'o' .. i
        set[#set + 1] = o
      elseif moved and meta[2 * i - 1] then
        -- a read that slid the window: keep the trimmed sum
        set[#set + 1] = 's' .. i
        set[#set + 1] = sum
        set[#set + 1] = 'o' .. i
        set[#set + 1] = o
      end
      out[#out + 1] = sum
    end
    if #set > 0 then redis.call('HSET', key, unpack(set)) end
    a = a + 4 + n
  else
    -- Exact distinct members (member -> last seen) up to the cap. Past it the oldest are dropped and
    -- HyperLogLogs per window slice keep an approximate count; they are seeded with every member held
    -- at the moment the cap is first passed, so nothing counted exactly is lost to the estimate.
    local member = ARGV[a + 1]
    local cap = tonumber(ARGV[a + 2])
    local n = tonumber(ARGV[a + 3])
    local wins = {}
    local longest = 0
    for w = 1, n do
      wins[w] = tonumber(ARGV[a + 3 + w])
      if wins[w] > longest then longest = wins[w] end
    end
    a = a + 4 + n
    local approx = key .. ':h'
    if member ~= '' then
      -- an undo needs the member's previous last-seen time; only calls without the claim can be undone
      if ARGV[6] ~= '1' then priors[#priors + 1] = redis.call('ZSCORE', key, member) or -1 end
      redis.call('ZADD', key, now, member)
      local card = redis.call('ZCARD', key)
      -- Members older than the longest window are dropped only when the set would pass its cap: counts
      -- read ZCOUNT within each window, so stale members never count, and the cap bounds their memory.
      -- (One call less per distinct op on the common small set; each call into Redis costs ~3 µs of Lua.)
      if card > cap then
        redis.call('ZREMRANGEBYSCORE', key, '-inf', now - longest)
        card = redis.call('ZCARD', key)
      end
      -- approximate mode is only ever on for a set held at its cap
      local on = card >= cap and redis.call('EXISTS', approx) == 1
      if card > cap and not on then
        local held = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
        for w = 1, n do
          local slice = wins[w] / HLL_SLICES
          for j = 1, #held, 2 do
            local s = math.floor(tonumber(held[j + 1]) / slice)
            local hk = hll_key(key, wins[w], s)
            redis.call('PFADD', hk, held[j])
            redis.call('PEXPIRE', hk, wins[w] + slice)
          end
        end
        on = true
      elseif on then
        for w = 1, n do
          local slice = wins[w] / HLL_SLICES
          local hk = hll_key(key, wins[w], math.floor(now / slice))
          redis.call('PFADD', hk, member)
          redis.call('PEXPIRE', hk, wins[w] + slice)
        end
      end
      if on then redis.call('SET', approx, '1', 'PX', longest) end
      if card > cap then redis.call('ZREMRANGEBYRANK', key, 0, card - cap - 1) end
      redis.call('PEXPIRE', key, longest)
    end
    local approxOn = nil
    for w = 1, n do
      local exact = redis.call('ZCOUNT', key, now - wins[w] + 1, '+inf')
      if exact >= cap then
        if approxOn == nil then approxOn = redis.call('EXISTS', approx) == 1 end
        if approxOn then
          -- The oldest slice is only partly inside the window: count the members only it holds in
          -- proportion to its overlap (arrivals assumed even within a slice), the newer slices in full.
          local slice = wins[w] / HLL_SLICES
          local start = now - wins[w] + 1
          local from = math.floor(start / slice)
          local inner = {}
          for s = from + 1, math.floor(now / slice) do inner[#inner + 1] = hll_key(key, wins[w], s) end
          local all = redis.call('PFCOUNT', hll_key(key, wins[w], from), unpack(inner))
          local innerCount = 0
          if #inner > 0 then innerCount = redis.call('PFCOUNT', unpack(inner)) end
          local share = ((from + 1) * slice - start) / slice
          local est = math.floor(innerCount + share * math.max(0, all - innerCount) + 0.5)
          if est > exact then exact = est end
        end
      end
      out[#out + 1] = exact
    end
  end
end
for i = 1, #priors do out[#out + 1] = priors[i] end
return out
