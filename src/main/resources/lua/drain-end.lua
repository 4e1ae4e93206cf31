-- End a drain run: drop its lease and its consumer; a run that failed with records still claimed
-- (its output closed) marks its lease expired instead, so the next run takes them over at once.
-- KEYS[1] errors, KEYS[2] drainers; ARGV[1] group, ARGV[2] run id
-- Returns whether the run still held records (0 on a clean end).
local refused = guard_types({KEYS[1], 'stream', KEYS[2], 'zset'})
if refused then
  return refused
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  local pending = redis.pcall('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
  if not pending.err and #pending > 0 then
    redis.call('ZADD', KEYS[2], 0, ARGV[2])
    return 1
  end
  redis.pcall('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
end
redis.call('ZREM', KEYS[2], ARGV[2])
return 0
