-- counters: read and update every counter of one entity group of one event, atomically.
-- Every key shares one hash tag ({ip:...}, {account:...}), so the call touches one Redis Cluster slot; the
-- HyperLogLog keys derived from a distinct key (key .. ':h...') carry its tag too, so they stay in that slot.
-- On a single Redis node the whole event is one call: every op, and the idempotency claim first (ARGV[6]
-- == '1'), so a replay touches nothing. On a cluster the claim is its own call (claim.lua) in the same
-- pipeline, and a replay's counters are taken back by undo.lua.
-- KEYS: one key per op, then the account memory key when ARGV[3] == '1', then the idempotency key when
-- ARGV[6] == '1'
-- ARGV: now, opCount, hasAccount, accountSetIfAbsent, accountTtlMs, claim, claimTtlMs, nonce, then per op:
--   count:    'c', add, nWindows, bucketsPerWindow, longestIndex, ttlMs, bucket1 .. bucketN
--             (bucketI = floor(now / (windowI / bucketsPerWindow)); ttlMs = longest window + one bucket)
--   distinct: 'd', member ('' to only read), cap, nWindows, longestMs, then per window: windowMs, now - windowMs + 1
-- The client sends every number this script would otherwise format: in Redis's Lua a number turned into a
-- string (a field name, a command argument) costs ~0.45 µs and tonumber ~0.2 µs, against ~0.7 µs for a
-- whole redis.call, so the common path passes ARGV strings through and reads integers from HINCRBY.
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

-- A distinct op's window sizes as numbers (only needed past the cap): ARGV[base + 2w - 1] for window w.
local function window_sizes(base, n)
  local t = {}
  for w = 1, n do t[w] = tonumber(ARGV[base + 2 * w - 1]) end
  return t
end

-- Field names by window index, so the common path never formats a number: bucket b of window i is
-- P[i] .. b; S[i] the running sum of window i, O[i] the oldest bucket it counts, N[i] the newest bucket
-- written. Every bucket field of window i lies in [O[i], N[i]]; a window without O[i] holds nothing.
local P, S, O, N = {}, {}, {}, {}
local function names(i)
  if not P[i] then
    P[i] = i .. ':'
    S[i] = 's' .. i
    O[i] = 'o' .. i
    N[i] = 'n' .. i
  end
end

local a = 9
for i = 1, opCount do
  local key = KEYS[i]
  local kind = ARGV[a]
  if kind == 'c' then
    local addS = ARGV[a + 1]
    local add = tonumber(addS)
    local n = tonumber(ARGV[a + 2])
    local width = tonumber(ARGV[a + 3])
    local longest = tonumber(ARGV[a + 4])
    local ttl = ARGV[a + 5]
    local fields = {}
    for w = 1, n do
      names(w)
      fields[3 * w - 2] = S[w]
      fields[3 * w - 1] = O[w]
      fields[3 * w] = N[w]
    end
    local meta = redis.call('HMGET', key, unpack(fields))
    -- Windows that hold nothing yet (a key seen for the first time in a while: most devices, accounts,
    -- emails) start in one HSET for all of them: oldest, the bucket, newest and the sum, each a string the
    -- client sent, instead of four commands per window.
    local start = nil
    for w = 1, n do
      local bS = ARGV[a + 5 + w]
      local sum = meta[3 * w - 2]
      local oS = meta[3 * w - 1]
      if oS then
        local b = tonumber(bS)
        local oldest = b - width + 1
        local o = tonumber(oS)
        if o < oldest then
          -- The window slid: take out the buckets that left it. Only [o, newest] can hold any, so a
          -- key seen once an hour deletes one field, not a window's worth.
          local newest = tonumber(meta[3 * w])
          local s = tonumber(sum)
          local last = oldest - 1
          if newest < last then last = newest end
          local stale = {}
          for x = o, last do stale[#stale + 1] = P[w] .. x end
          if newest < oldest then
            s = 0
          elseif #stale > 0 then
            local vals = redis.call('HMGET', key, unpack(stale))
            for j = 1, #stale do
              if vals[j] then s = s - tonumber(vals[j]) end
            end
          end
          if s <= 0 then
            -- nothing left in the window: forget its state along with its buckets
            stale[#stale + 1] = S[w]
            stale[#stale + 1] = O[w]
            stale[#stale + 1] = N[w]
            redis.call('HDEL', key, unpack(stale))
            oS = false
            sum = 0
          else
            if #stale > 0 then redis.call('HDEL', key, unpack(stale)) end
            redis.call('HSET', key, S[w], s, O[w], oldest)
            sum = s
          end
        end
      end
      if add > 0 and not oS then
        -- an empty window starts at this bucket: nothing before it is counted
        start = start or {}
        local k = #start
        start[k + 1] = O[w]
        start[k + 2] = bS
        start[k + 3] = P[w] .. bS
        start[k + 4] = addS
        start[k + 5] = N[w]
        start[k + 6] = bS
        start[k + 7] = S[w]
        start[k + 8] = addS
        sum = add
      elseif add > 0 then
        if redis.call('HINCRBY', key, P[w] .. bS, addS) == add then
          -- the first add to this bucket; the TTL follows the longest window, set then: window + bucket
          -- from now outlives every count of it (and of every shorter window)
          redis.call('HSET', key, N[w], bS)
          if w == longest then redis.call('PEXPIRE', key, ttl) end
        end
        sum = redis.call('HINCRBY', key, S[w], addS)
      end
      out[#out + 1] = sum or 0
    end
    if start then
      redis.call('HSET', key, unpack(start))
      -- A window started here: its bucket is new. The TTL follows the longest window (window + bucket from
      -- now outlives every count of it); a shorter window starting alone refreshes it too, which is harmless.
      redis.call('PEXPIRE', key, ttl)
    end
    a = a + 6 + n
  else
    -- Exact distinct members (member -> last seen) up to the cap. Past it the oldest are dropped and
    -- HyperLogLogs per window slice keep an approximate count; they are seeded with every member held
    -- at the moment the cap is first passed, so nothing counted exactly is lost to the estimate.
    local member = ARGV[a + 1]
    local cap = tonumber(ARGV[a + 2])
    local n = tonumber(ARGV[a + 3])
    local longestS = ARGV[a + 4]
    local base = a + 4
    a = a + 5 + 2 * n
    local approx = key .. ':h'
    if member ~= '' then
      -- an undo needs the member's previous last-seen time; only calls without the claim can be undone
      if ARGV[6] ~= '1' then priors[#priors + 1] = redis.call('ZSCORE', key, member) or -1 end
      redis.call('ZADD', key, ARGV[1], member)
      local card = redis.call('ZCARD', key)
      -- Members older than the longest window are dropped only when the set would pass its cap: counts
      -- read ZCOUNT within each window, so stale members never count, and the cap bounds their memory.
      if card > cap then
        redis.call('ZREMRANGEBYSCORE', key, '-inf', now - tonumber(longestS))
        card = redis.call('ZCARD', key)
      end
      -- approximate mode is only ever on for a set held at its cap
      local on = card >= cap and redis.call('EXISTS', approx) == 1
      if card > cap and not on then
        local held = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
        local ws = window_sizes(base, n)
        for w = 1, n do
          local slice = ws[w] / HLL_SLICES
          for j = 1, #held, 2 do
            local s = math.floor(tonumber(held[j + 1]) / slice)
            local hk = hll_key(key, ws[w], s)
            redis.call('PFADD', hk, held[j])
            redis.call('PEXPIRE', hk, ws[w] + slice)
          end
        end
        on = true
      elseif on then
        local ws = window_sizes(base, n)
        for w = 1, n do
          local slice = ws[w] / HLL_SLICES
          local hk = hll_key(key, ws[w], math.floor(now / slice))
          redis.call('PFADD', hk, member)
          redis.call('PEXPIRE', hk, ws[w] + slice)
        end
      end
      if on then redis.call('SET', approx, '1', 'PX', longestS) end
      if card > cap then redis.call('ZREMRANGEBYRANK', key, 0, card - cap - 1) end
      redis.call('PEXPIRE', key, longestS)
    end
    local approxOn = nil
    for w = 1, n do
      local exact = redis.call('ZCOUNT', key, ARGV[base + 2 * w], '+inf')
      if exact >= cap then
        if approxOn == nil then approxOn = redis.call('EXISTS', approx) == 1 end
        if approxOn then
          -- The oldest slice is only partly inside the window: count the members only it holds in
          -- proportion to its overlap (arrivals assumed even within a slice), the newer slices in full.
          local win = tonumber(ARGV[base + 2 * w - 1])
          local slice = win / HLL_SLICES
          local start = now - win + 1
          local from = math.floor(start / slice)
          local inner = {}
          for s = from + 1, math.floor(now / slice) do inner[#inner + 1] = hll_key(key, win, s) end
          local all = redis.call('PFCOUNT', hll_key(key, win, from), unpack(inner))
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
