-- Extend the lease if it still belongs to this node and epoch (compare-and-PEXPIRE).
-- KEYS[1] leader, KEYS[2] epoch; ARGV[1] node id, ARGV[2] epoch, ARGV[3] lease ms
-- Returns 1 when extended, 0 when the lease is no longer ours.
local refused = guard_lease(KEYS[1])
if refused then
  return refused
end
if redis.call('GET', KEYS[1]) == ARGV[1] and redis.call('GET', KEYS[2]) == ARGV[2] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 0
