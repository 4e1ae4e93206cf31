-- Register this node's presence on this server instance (after each (S)SUBSCRIBE of its channel).
-- KEYS[1] presence (hash; see lib/presence.lua); ARGV[1] node id, ARGV[2] mode: 's' the node holds
-- SSUBSCRIBE '<KEYS[1]>:<node id>', 'n' a plain SUBSCRIBE of it
-- Writes the record '<run id> <mode>' only when the channel has a subscriber on this instance now,
-- so a record bound to a run id proves the node was subscribed on that instance: a subscription
-- made before a restart or a promotion never registers on the new server.
-- Returns the channel's subscriber count (0: not registered; over 1: another process subscribes
-- with this node id too), or -1 when this server does not let scripts read INFO (no presence).
local refused = guard_types({KEYS[1], 'hash'})
if refused then
  return refused
end
local run = presence_run_id()
if not run then
  return -1
end
local sub = (ARGV[2] == 's') and 'SHARDNUMSUB' or 'NUMSUB'
local n = tonumber(redis.call('PUBSUB', sub, KEYS[1] .. ':' .. ARGV[1])[2])
if n > 0 then
  redis.call('HSET', KEYS[1], ARGV[1], run .. ' ' .. ARGV[2])
end
return n
