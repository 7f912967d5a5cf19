-- append: a batch of decision records onto the learning stream, one entry per record, in one call.
-- One command for many records instead of one XADD each: ioredis builds, encodes and tracks one command
-- rather than a hundred (npm run bench:learning).
-- KEYS[1]: the stream. ARGV[1]: MAXLEN (approximate trimming, as XADD MAXLEN ~). ARGV[2..]: one record's JSON each.
local key = KEYS[1]
local maxLen = ARGV[1]
for i = 2, #ARGV do
  redis.call('XADD', key, 'MAXLEN', '~', maxLen, '*', 'r', ARGV[i])
end
return #ARGV - 1
