-- Remove consumers of nodes that are gone, but only once nothing is pending on them (their
-- entries were reclaimed first) and they have been idle past the heartbeat timeout.
-- KEYS[1] messages, KEYS[2] heartbeats; ARGV[1] group, ARGV[2] heartbeat timeout ms
-- Returns the names removed.
local consumers = redis.pcall('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
if consumers.err then return {} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local timeout = tonumber(ARGV[2])
local removed = {}
for _, c in ipairs(consumers) do
  local info = {}
  for i = 1, #c, 2 do info[c[i]] = c[i + 1] end
  if info['pending'] == 0 and tonumber(info['idle']) > timeout then
    local seen = redis.call('ZSCORE', KEYS[2], info['name'])
    if not seen or now - tonumber(seen) > timeout then
      redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info['name'])
      removed[#removed + 1] = info['name']
    end
  end
end
return removed
