-- Try to take the generator lease.
-- KEYS[1] leader, KEYS[2] epoch, KEYS[3] grants (a capped stream: the failover history)
-- ARGV[1] node id, ARGV[2] lease ms, ARGV[3] epoch floor (the highest epoch this node has seen,
--         so epochs keep growing even after Redis restarted empty)
-- Grants when the lease is free (SET NX PX), or when it still names this node (a node that revoked
-- itself locally takes a fresh epoch, so its old generator stays fenced). Every grant takes a new
-- fencing token from INCR and is appended to the grants stream as {epoch, node, ts} (ts = Redis
-- server ms), trimmed to about 1000 entries. The history is informational: if that key holds
-- something else, the append is skipped and the grant still stands.
-- Returns {1, epoch, lease ms, node id} when granted, else {0, current epoch, PTTL, holder}.
local granted = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
if not granted and redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  granted = true
end
if granted then
  local epoch = redis.call('INCR', KEYS[2])
  local floor = tonumber(ARGV[3])
  if epoch <= floor then
    epoch = floor + 1
    redis.call('SET', KEYS[2], epoch)
  end
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.pcall('XADD', KEYS[3], 'MAXLEN', '~', 1000, '*', 'epoch', epoch, 'node', ARGV[1], 'ts', now)
  return {1, epoch, tonumber(ARGV[2]), ARGV[1]}
end
return {0, tonumber(redis.call('GET', KEYS[2]) or '0'), redis.call('PTTL', KEYS[1]), redis.call('GET', KEYS[1])}
