-- Take over the entries pending on the consumer of a node whose presence vanished (it crashed),
-- at once instead of after the idle threshold; dead-letter those delivered more than the allowed
-- number of times instead of handing them out again.
-- KEYS[1] messages, KEYS[2] dead-letter, KEYS[3] stats, KEYS[4] audit ledger (committed),
-- KEYS[5] presence (hash; see lib/presence.lua)
-- ARGV[1] group, ARGV[2] this consumer, ARGV[3] the absent consumer, ARGV[4] count,
-- ARGV[5] max deliveries, ARGV[6] '1' to record dead-lettered messages in the audit ledger
-- Claims only entries pending on ARGV[3], and only while its node is vanished or gone on this
-- server instance (checked here, atomically with the claim); marks it 'gone', so its presence
-- counts again only after it registered anew. Claiming moves entries between consumers and applies
-- no effect: the caller commits them with commit.lua, where XACK decides who commits.
-- A pack is dead-lettered as its messages (lib/dead-letter.lua) and counted as n messages.
-- Returns {presence state of ARGV[3], claimed entries, dead-lettered messages, the delivery count
-- of each claimed entry (its attempt number: a claim is a new delivery)}.
-- Refuses, having written nothing, when a key or counter it may write holds something else.
local refused = guard_types({KEYS[1], 'stream', KEYS[2], 'stream', KEYS[3], 'hash', KEYS[4], 'stream', KEYS[5], 'hash'})
    or guard_counters(KEYS[3], {'deadLettered', 'backlog'})
    or (ARGV[6] == '1' and ledger_guard(KEYS[3]))
if refused then
  return refused
end
local run = presence_run_id()
local state = presence_state(KEYS[5], run, ARGV[3])
if not presence_absent(state) or ARGV[3] == ARGV[2] then
  return {state, {}, 0, {}}
end
if state == 'vanished' then
  redis.call('HSET', KEYS[5], ARGV[3], 'gone ' .. run)
end
local pending = redis.pcall('XPENDING', KEYS[1], ARGV[1], '-', '+', tonumber(ARGV[4]), ARGV[3])
if pending.err or #pending == 0 then
  return {state, {}, 0, {}}
end
local ids, deliveries = {}, {}
for _, p in ipairs(pending) do
  ids[#ids + 1] = p[1]
  deliveries[p[1]] = p[4] + 1
end
local maxDeliveries = tonumber(ARGV[5])
local claimed = {}
local counts = {}
local dead = 0
local seen = {}
for _, e in ipairs(redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, unpack(ids))) do
  if type(e) == 'table' and type(e[2]) == 'table' then
    local id = e[1]
    seen[id] = true
    if deliveries[id] > maxDeliveries then
      dead = dead + deadLetterOverDelivered(KEYS, ARGV[1], id, e[2], deliveries[id], maxDeliveries, ARGV[2], ARGV[6] == '1')
    else
      claimed[#claimed + 1] = e
      counts[#counts + 1] = deliveries[id]
    end
  end
end
ack_unclaimed(KEYS[1], ARGV[1], ids, seen)
count_dead_lettered(KEYS[3], dead)
return {state, claimed, dead, counts}
