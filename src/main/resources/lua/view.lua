-- A consistent snapshot of the cluster for /status.
-- KEYS[1] leader, KEYS[2] epoch, KEYS[3] heartbeats, KEYS[4] nodes, KEYS[5] messages, KEYS[6] stats,
-- KEYS[7] presence (hash; see lib/presence.lua)
-- ARGV[1] group
-- Returns {server ms, leader or '', epoch, leader PTTL, heartbeats (id, ms, ...),
--          node infos (id, json, ...), stream length, pending count, stats (field, value, ...),
--          presence (id, 'present'|'vanished'|'gone'|'unknown', ...)}.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local pending = 0
local summary = redis.pcall('XPENDING', KEYS[5], ARGV[1])
if not summary.err then pending = summary[1] end
local beats = redis.call('ZRANGE', KEYS[3], 0, -1, 'WITHSCORES')
local run = presence_run_id()
local presence = {}
for i = 1, #beats, 2 do
  presence[#presence + 1] = beats[i]
  presence[#presence + 1] = presence_state(KEYS[7], run, beats[i])
end
return {now,
  redis.call('GET', KEYS[1]) or '',
  tonumber(redis.call('GET', KEYS[2]) or '0'),
  redis.call('PTTL', KEYS[1]),
  beats,
  redis.call('HGETALL', KEYS[4]),
  redis.call('XLEN', KEYS[5]),
  pending,
  redis.call('HGETALL', KEYS[6]),
  presence}
