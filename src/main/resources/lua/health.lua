-- What /health needs to tell whether the cluster works, read in one call; reads only, and never
-- fails on a key of the wrong type (a corrupt key is part of what it reports).
-- KEYS[1] leader, KEYS[2] heartbeats, KEYS[3] nodes, KEYS[4] messages, KEYS[5] stats
-- ARGV[1] group, ARGV[2] heartbeat timeout ms (members silent longer are not counted)
-- Returns {server ms, leader key type, leader ('' unless a string), leader PTTL,
--          live members reporting role generator, live members reporting role handler (both
--          counted until each is at least 1),
--          messages key type, stream entries, oldest entry id or '', whether the oldest entry is
--          skipped (at or before the group's last-delivered-id and pending on no consumer: 1/0),
--          entries pending in the group,
--          the cluster's published and processed totals and its backlog in messages, from the
--          stats hash ('' when absent or not a hash): the live page's history (see PageHistory)}.
local now = server_ms()
local leaderType = redis.call('TYPE', KEYS[1]).ok
local leader = ''
if leaderType == 'string' then leader = redis.call('GET', KEYS[1]) end
local pttl = redis.call('PTTL', KEYS[1])

local generators, handlers = 0, 0
if redis.call('TYPE', KEYS[2]).ok == 'zset' and redis.call('TYPE', KEYS[3]).ok == 'hash' then
  local live = redis.call('ZRANGEBYSCORE', KEYS[2], string.format('%.0f', now - tonumber(ARGV[2])), '+inf')
  -- enough to know there is a generator and a handler: stop there (a big cluster beats every second)
  for _, id in ipairs(live) do
    local info = redis.call('HGET', KEYS[3], id)
    local ok, decoded = pcall(cjson.decode, info or '')
    local role = ok and type(decoded) == 'table' and decoded['role'] or nil
    if role == 'generator' then generators = generators + 1 end
    if role == 'handler' then handlers = handlers + 1 end
    if generators > 0 and handlers > 0 then break end
  end
end

local streamType = redis.call('TYPE', KEYS[4]).ok
local entries, first, skipped, pending = 0, '', 0, 0
if streamType == 'stream' then
  entries = redis.call('XLEN', KEYS[4])
  local oldest = redis.call('XRANGE', KEYS[4], '-', '+', 'COUNT', 1)
  if oldest[1] then first = oldest[1][1] end
  local groups = redis.pcall('XINFO', 'GROUPS', KEYS[4])
  if not groups.err then
    for _, g in ipairs(groups) do
      local info = {}
      for i = 1, #g, 2 do info[g[i]] = g[i + 1] end
      if info['name'] == ARGV[1] then
        pending = info['pending']
        if first ~= '' and #redis.call('XRANGE', KEYS[4], first, info['last-delivered-id'], 'COUNT', 1) == 1
            and #redis.call('XPENDING', KEYS[4], ARGV[1], first, first, 1) == 0 then
          skipped = 1
        end
      end
    end
  end
end
local totals = {'', '', ''}
if redis.call('TYPE', KEYS[5]).ok == 'hash' then
  local got = redis.call('HMGET', KEYS[5], 'published', 'processed', 'backlog')
  for i = 1, 3 do totals[i] = got[i] or '' end
end
return {now, leaderType, leader, pttl, generators, handlers, streamType, entries, first, skipped, pending,
  totals[1], totals[2], totals[3]}
