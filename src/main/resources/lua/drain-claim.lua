-- Claim the next batch of error records for one getErrors run (or POST /errors/drain).
-- KEYS[1] errors, KEYS[2] drainers
-- ARGV[1] group, ARGV[2] run id, ARGV[3] run lease ms, ARGV[4] snapshot id (the last record
-- when the run started: newer records stay for the next run), ARGV[5] batch size
-- Each run is a consumer of the errors stream and holds a lease in KEYS[2] (score = expiry, server
-- ms) that this call renews. Records left pending by a run whose lease expired (killed half-way)
-- are claimed first; then undelivered records up to the snapshot.
-- Returns {records, state, wait ms}: state 'more' (records claimed), 'waiting' (nothing to claim
-- now, but other runs still hold records; their leases lapse within wait ms unless renewed) or 'done'.
local refused = guard_types({KEYS[1], 'stream', KEYS[2], 'zset'})
if refused then
  return refused
end
local now = server_ms()
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[2])
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {{}, 'done'}
end
local created = redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0')
local count = tonumber(ARGV[5])

local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. string.format('%.0f', now))
for _, run in ipairs(expired) do
  local pending = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', count, run)
  if #pending == 0 then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], run)
    redis.call('ZREM', KEYS[2], run)
  else
    local ids = {}
    for _, p in ipairs(pending) do ids[#ids + 1] = p[1] end
    local claimed = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, unpack(ids))
    local records = {}
    local seen = {}
    for _, e in ipairs(claimed) do
      if type(e) == 'table' and type(e[2]) == 'table' then
        records[#records + 1] = e
        seen[e[1]] = true
      end
    end
    ack_unclaimed(KEYS[1], ARGV[1], ids, seen)
    if #records > 0 then
      return {records, 'more'}
    end
  end
end

local last = '0-0'
for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local info = {}
  for i = 1, #g, 2 do info[g[i]] = g[i + 1] end
  if info['name'] == ARGV[1] then last = info['last-delivered-id'] end
end
local fresh = redis.call('XRANGE', KEYS[1], '(' .. last, ARGV[4], 'COUNT', count)
if #fresh > 0 then
  local got = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', #fresh, 'STREAMS', KEYS[1], '>')
  return {got[1][2], 'more'}
end
local summary = redis.call('XPENDING', KEYS[1], ARGV[1])
if summary[1] > 0 then
  local wait = 0
  for _, holder in ipairs(summary[4]) do
    local expiry = redis.call('ZSCORE', KEYS[2], holder[1])
    if expiry then
      wait = math.max(wait, tonumber(expiry) - now)
    end
  end
  return {{}, 'waiting', wait}
end
return {{}, 'done', 0}
