-- Keep a handler's claim on the entries it is working on, and number its retries: the claim lasts
-- as long as the work (docs/DESIGN.md, "A claim that lasts as long as the work").
-- KEYS[1] messages
-- ARGV[1] group, ARGV[2] this consumer, ARGV[3] r: the first r entries start a new attempt (a
-- retry), the others are only kept; ARGV[4..] pairs (entry id, the delivery count this consumer
-- holds it under)
-- For each entry still pending on this consumer under that count: XCLAIM to itself with JUSTID,
-- which resets the entry's idle time (so reclaim.lua, which takes entries idle past
-- handler.reclaimIdleMs, leaves it alone) without counting a delivery; a retry also sets the
-- delivery count one higher (RETRYCOUNT): the attempt number, kept in Redis so that whoever takes
-- the entry over next goes on counting, and the claim the retry's commit will be fenced with.
-- An entry pending on another consumer (taken over while this node was frozen), delivered again
-- since (a new count), or pending nowhere (committed, deleted) is left alone: only the holder may
-- keep or count it, in one atomic step with the check. Writes nothing but the group's pending list.
-- Returns, per entry in order, its delivery count now, or 0 when this claim no longer holds it.
local refused = guard_types({KEYS[1], 'stream'})
if refused then
  return refused
end
local group, me, retries = ARGV[1], ARGV[2], tonumber(ARGV[3])
local out = {}
for i = 4, #ARGV, 2 do
  local id = ARGV[i]
  local p = redis.call('XPENDING', KEYS[1], group, id, id, 1, me)[1]
  if p and p[4] == tonumber(ARGV[i + 1]) then
    local count = p[4]
    if (i - 2) / 2 <= retries then
      count = count + 1
      redis.call('XCLAIM', KEYS[1], group, me, 0, id, 'RETRYCOUNT', count, 'JUSTID')
    else
      redis.call('XCLAIM', KEYS[1], group, me, 0, id, 'JUSTID')
    end
    out[#out + 1] = count
  else
    out[#out + 1] = 0
  end
end
return out
