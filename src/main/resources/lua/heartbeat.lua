-- Record this node as alive, stamped with the Redis server clock, forget silent nodes and nodes
-- whose presence vanished, and name the watcher.
-- KEYS[1] heartbeats, KEYS[2] nodes, KEYS[3] presence (hash; see lib/presence.lua), KEYS[4] leader
-- ARGV[1] node id, ARGV[2] node info JSON, ARGV[3] timeout ms, ARGV[4] presence: '0' off, '1' on,
-- '2' on and this node is the watcher (it checks every member's presence)
-- The watchers are the two smallest node ids among the members that are present on this server
-- instance and do not hold the lease: the nodes that poll for a vanished generator and for work
-- left on vanished consumers. Two, so that a watcher's own death is noticed as fast as any other
-- node's: the other one sees it vanish at its next poll (one watcher alone left the cluster
-- without one until the next heartbeat named another). Every beat checks members in id order until
-- it finds both, and drops the absent ones it meets (marking a vanished one 'gone': its entries stay
-- claimable), so a dead watcher is replaced by the next beat of any node. A vanished lease holder
-- is left to the watchers' takeover (which needs it 'vanished', not 'gone').
-- It also counts the subscribers of this node's own presence channel: more than one means another
-- process runs with this node id (see docs/DESIGN.md, "A duplicate node id").
-- Returns {server time in ms, the first watcher's node id or '', subscribers of this node's channel
-- on this instance (0 when unknown), the second watcher's node id or ''}.
local refused = guard_types({KEYS[1], 'zset', KEYS[2], 'hash', KEYS[3], 'hash'})
if refused then
  return refused
end
local now = server_ms()
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%.0f', now - tonumber(ARGV[3])))
for _, id in ipairs(gone) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
end
if ARGV[4] == '0' then
  return {now, '', 0, ''}
end
local run = presence_run_id()
if not run then
  return {now, '', 0, ''}
end
-- a lease key of another type names no holder here (acquire.lua reports it)
local holder = redis.call('TYPE', KEYS[4]).ok == 'string' and redis.call('GET', KEYS[4]) or nil
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
table.sort(members)
local watcher, standby = '', ''
for _, id in ipairs(members) do
  if standby ~= '' and ARGV[4] ~= '2' then
    break
  end
  local state = presence_state(KEYS[3], run, id)
  if id ~= ARGV[1] and id ~= holder and presence_absent(state) then
    redis.call('ZREM', KEYS[1], id)
    redis.call('HDEL', KEYS[2], id)
    if state == 'vanished' then
      -- still claimable ('gone' counts for claim.lua); a vanished holder stays for the takeover
      redis.call('HSET', KEYS[3], id, 'gone ' .. run)
    end
  elseif state == 'present' and id ~= holder then
    if watcher == '' then
      watcher = id
    elseif standby == '' then
      standby = id
    end
  end
end
local own = 0
local record = redis.call('HGET', KEYS[3], ARGV[1])
if record then
  local seen, kind = string.match(record, '^(%w+) ([sn])$')
  if seen == run then
    own = tonumber(redis.call('PUBSUB', kind == 's' and 'SHARDNUMSUB' or 'NUMSUB', KEYS[3] .. ':' .. ARGV[1])[2])
  end
end
return {now, watcher, own, standby}
