-- Remove consumers of nodes that are gone, but only once nothing is pending on them (their
-- entries were reclaimed first), they have been idle past the heartbeat timeout and their node's
-- presence is not present here: a live node whose heartbeats look stale for a moment (the
-- heartbeats on a promoted replica lag behind) keeps its consumer and its presence record.
-- KEYS[1] messages, KEYS[2] heartbeats, KEYS[3] presence (its record goes with the consumer)
-- ARGV[1] group, ARGV[2] heartbeat timeout ms
-- The live members are read once (one command, however many consumers there are).
-- Returns the names removed.
local refused = guard_types({KEYS[1], 'stream', KEYS[2], 'zset', KEYS[3], 'hash'})
if refused then
  return refused
end
local consumers = redis.pcall('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
if consumers.err then return {} end
local now = server_ms()
local timeout = tonumber(ARGV[2])
local run = presence_run_id()
local live = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], string.format('%.0f', now - timeout), '+inf')) do
  live[id] = true
end
local removed = {}
for _, c in ipairs(consumers) do
  local info = {}
  for i = 1, #c, 2 do info[c[i]] = c[i + 1] end
  if info['pending'] == 0 and tonumber(info['idle']) > timeout and not live[info['name']]
      and presence_state(KEYS[3], run, info['name']) ~= 'present' then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info['name'])
    redis.call('HDEL', KEYS[3], info['name'])
    removed[#removed + 1] = info['name']
  end
end
return removed
