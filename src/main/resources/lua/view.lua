-- A consistent snapshot of the cluster for /status.
-- KEYS[1] leader, KEYS[2] epoch, KEYS[3] heartbeats, KEYS[4] nodes, KEYS[5] messages, KEYS[6] stats,
-- KEYS[7] presence (hash; see lib/presence.lua)
-- ARGV[1] group
-- Refuses with an error reply naming the key when the lease or the epoch key is corrupt.
-- Returns {server ms, leader or '', epoch, leader PTTL, heartbeats (id, ms, ...),
--          node infos (id, json, ...), stream length, pending count, stats (field, value, ...),
--          presence (id, 'present'|'vanished'|'gone'|'unknown', ...)}.
local epoch, corrupt = guard_epoch(KEYS[2])
corrupt = corrupt or guard_lease(KEYS[1])
if corrupt then
  return corrupt
end
local now = server_ms()
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
  epoch,
  redis.call('PTTL', KEYS[1]),
  beats,
  redis.call('HGETALL', KEYS[4]),
  redis.call('XLEN', KEYS[5]),
  pending,
  redis.call('HGETALL', KEYS[6]),
  presence}
