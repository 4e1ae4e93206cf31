-- Delete error records a run has printed, and renew its lease.
-- KEYS[1] errors, KEYS[2] drainers, KEYS[3] audit ledger (drained), KEYS[4] audit ledger (published),
-- KEYS[5] audit ledger (committed), KEYS[6] stats (where lib/ledger.lua counts ledger entries)
-- ARGV[1] group, ARGV[2] run id, ARGV[3] run lease ms, ARGV[4] '1' to record deletions in the audit
-- ledger even if there is none yet, ARGV[5..] pairs: error record id, message id
-- A record is deleted only if this XACK acknowledged it (it was still pending). Deletions are
-- recorded whenever a ledger exists, whatever the drainer's own audit setting: verify counts the
-- records a drain took away against the messages judged errors.
-- Returns how many records were deleted.
local refused = guard_types({KEYS[1], 'stream', KEYS[2], 'zset', KEYS[3], 'stream', KEYS[6], 'hash'})
    or ledger_guard(KEYS[6])
if refused then
  return refused
end
local now = server_ms()
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[2])
local audit = ARGV[4] == '1' or redis.call('EXISTS', KEYS[4], KEYS[5]) > 0
local deleted = 0
for i = 5, #ARGV, 2 do
  if redis.call('XACK', KEYS[1], ARGV[1], ARGV[i]) == 1 then
    redis.call('XDEL', KEYS[1], ARGV[i])
    if audit then
      ledger_add(KEYS[6], KEYS[3], 'ledgerDrained', 'msg', ARGV[i + 1], 'errorId', ARGV[i])
    end
    deleted = deleted + 1
  end
end
return deleted
