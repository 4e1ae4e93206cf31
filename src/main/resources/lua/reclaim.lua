-- Take over messages left pending on a dead or stalled consumer (XAUTOCLAIM), and dead-letter
-- those delivered more than the allowed number of times instead of handing them out again.
-- KEYS[1] messages, KEYS[2] dead-letter, KEYS[3] stats, KEYS[4] audit ledger (committed)
-- ARGV[1] group, ARGV[2] this consumer, ARGV[3] min idle ms, ARGV[4] cursor, ARGV[5] count,
-- ARGV[6] max deliveries, ARGV[7] '1' to record dead-lettered messages in the audit ledger
-- A pack (fields n and texts) is dead-lettered as its messages, one dead letter each
-- ('<id>/<i>', with that message's fields), and counted as n messages.
-- Returns {next cursor, claimed entries, dead-lettered messages, the delivery count of each claimed
-- entry (its attempt number: a claim is a new delivery)}.
-- Refuses, having written nothing, when a key or counter it may write holds something else.
local refused = guard_types({KEYS[1], 'stream', KEYS[2], 'stream', KEYS[3], 'hash', KEYS[4], 'stream'})
    or guard_counters(KEYS[3], {'deadLettered', 'backlog'})
    or (ARGV[7] == '1' and ledger_guard(KEYS[3]))
if refused then
  return refused
end
local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], 'COUNT', ARGV[5])
local maxDeliveries = tonumber(ARGV[6])
local claimed = {}
local counts = {}
local dead = 0

for _, e in ipairs(r[2]) do
  if type(e) == 'table' and type(e[2]) == 'table' then
    local id = e[1]
    local p = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1)
    local deliveries = (p[1] and p[1][4]) or 0
    if deliveries > maxDeliveries then
      dead = dead + deadLetterOverDelivered(KEYS, ARGV[1], id, e[2], deliveries, maxDeliveries, ARGV[2], ARGV[7] == '1')
    else
      claimed[#claimed + 1] = e
      counts[#counts + 1] = deliveries
    end
  elseif type(e) == 'table' and e[1] then
    ack_deleted(KEYS[1], ARGV[1], e[1])
  end
end
count_dead_lettered(KEYS[3], dead)
return {r[1], claimed, dead, counts}
