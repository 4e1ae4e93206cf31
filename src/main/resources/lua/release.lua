-- Give the lease up on a graceful stop (compare-and-delete) and tell followers at once.
-- KEYS[1] leader, KEYS[2] epoch; ARGV[1] node id, ARGV[2] epoch, ARGV[3] events channel
-- Returns 1 when released, 0 when the lease was not ours.
-- The notice is an optimisation (followers take a free lease when their sleep ends anyway), so a
-- PUBLISH that Redis refuses (an ACL without the channel) leaves the release standing rather than
-- failing the script after its DEL, which no rollback would undo.
local refused = guard_lease(KEYS[1])
if refused then
  return refused
end
if redis.call('GET', KEYS[1]) == ARGV[1] and redis.call('GET', KEYS[2]) == ARGV[2] then
  redis.call('DEL', KEYS[1])
  redis.pcall('PUBLISH', ARGV[3], 'released')
  return 1
end
return 0
