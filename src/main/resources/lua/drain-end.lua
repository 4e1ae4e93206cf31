-- End a drain run: drop its lease and, when it holds nothing, its consumer.
-- KEYS[1] errors, KEYS[2] drainers; ARGV[1] group, ARGV[2] run id
-- Returns how many records the run still held (0 on a clean end).
redis.call('ZREM', KEYS[2], ARGV[2])
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local pending = redis.pcall('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if pending.err then return 0 end
if #pending == 0 then
  redis.pcall('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
  return 0
end
return #pending
