-- Deliver the entries the consumer group skipped: entries still in the stream, at or before the
-- group's last-delivered-id, that are pending on no consumer. A read with '>' never returns them
-- (someone moved the group's cursor past them with XGROUP SETID, recreated the group at '$',
-- deleted a consumer with XGROUP DELCONSUMER, or acknowledged them by hand); they would sit in the
-- stream forever. Every entry in the stream is uncommitted (commit.lua deletes an entry in the same
-- script whose XACK returned 1), so such an entry's effects were never applied.
-- KEYS[1] messages, KEYS[2] stats
-- ARGV[1] group, ARGV[2] this consumer, ARGV[3] scan cursor ('0-0' to start, else the last id
-- scanned), ARGV[4] entries to scan per call
-- Each skipped entry found is put in this consumer's pending list (XCLAIM … FORCE, delivery count
-- 1), atomically with the check that it was pending nowhere, so two handlers never both take one;
-- from there it is committed by commit.lua like any delivered entry: XACK decides, exactly once.
-- stats field 'skipped' counts the messages found so (a pack counts its n messages).
-- Returns {next cursor ('0-0' when the scan reached the group's cursor), entries taken, messages in them}.
-- Key types and the counter are checked before any write (lib/guard.lua): a script has no rollback.
local refused = guard_types({KEYS[1], 'stream', KEYS[2], 'hash'}) or guard_counters(KEYS[2], {'skipped'})
if refused then
  return refused
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'0-0', {}, 0}
end
local groups = redis.pcall('XINFO', 'GROUPS', KEYS[1])
if groups.err then
  return {'0-0', {}, 0}
end
local last
for _, g in ipairs(groups) do
  local info = {}
  for i = 1, #g, 2 do info[g[i]] = g[i + 1] end
  if info['name'] == ARGV[1] then last = info['last-delivered-id'] end
end
if not last then
  return {'0-0', {}, 0}
end
local count = tonumber(ARGV[4])
local from = ARGV[3] == '0-0' and '-' or '(' .. ARGV[3]
local entries = redis.call('XRANGE', KEYS[1], from, last, 'COUNT', count)
local taken = {}
local messages = 0
for _, e in ipairs(entries) do
  local id = e[1]
  if #redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1) == 0 then
    local claimed = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, id, 'RETRYCOUNT', 1, 'FORCE')
    if claimed[1] and type(claimed[1][2]) == 'table' then
      taken[#taken + 1] = claimed[1]
      local n = 1
      local fields = claimed[1][2]
      for j = 1, #fields, 2 do
        if fields[j] == 'n' then n = tonumber(fields[j + 1]) or 1 end
      end
      messages = messages + n
    end
  end
end
if messages > 0 then
  redis.call('HINCRBY', KEYS[2], 'skipped', messages)
end
local nextCursor = '0-0'
if #entries == count then
  nextCursor = entries[#entries][1]
end
return {nextCursor, taken, messages}
