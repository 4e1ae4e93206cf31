-- Commit processed messages exactly once.
-- KEYS[1] messages, KEYS[2] errors, KEYS[3] dead-letter, KEYS[4] stats, KEYS[5] audit ledger (committed)
-- ARGV[1] group, ARGV[2] handler node id, ARGV[3] '1' to record each commit in the audit ledger,
-- ARGV[4] '1' when the messages were reclaimed from another consumer, ARGV[5] n: the number of
-- plain messages (judged fine) whose ids follow, ARGV[6 .. 5+n] their ids, then triples for the
-- others: message id, kind, payload, where kind is 'error' (payload: the error record JSON) or
-- 'dead' (payload: the reason).
-- For each message: XACK, and only when XACK returned 1 (nobody committed it before) apply its
-- effect and XDEL it, so the stream keeps only uncommitted work (one XDEL for all of the batch's
-- committed ids, at the end of the same script: cheaper per id than one XDEL each).
-- Plain messages have no effect but counters and the XDEL, so without the ledger they are
-- acknowledged with one multi-id XACK, whose count is all that matters; with the ledger, one XACK
-- each, to record exactly which ones this call committed.
-- Returns '<plain messages committed now>:<one character per other message, in argument order:
-- '1' committed now, '0' committed before>'.
-- Key types are checked before any write: a script has no rollback.
for i = 2, 5 do
  local t = redis.call('TYPE', KEYS[i]).ok
  local want = (i == 4) and 'hash' or 'stream'
  if t ~= 'none' and t ~= want then
    return redis.error_reply('WRONGTYPE ' .. KEYS[i] .. ' is a ' .. t .. ', expected a ' .. want)
  end
end
local group, handler, audit, reclaimed = ARGV[1], ARGV[2], ARGV[3] == '1', ARGV[4]
local flags = {}
local acked = {}
local processed, errors, dead = 0, 0, 0

local function record(id, kind)
  acked[#acked + 1] = id
  if audit then
    redis.call('XADD', KEYS[5], '*', 'msg', id, 'handler', handler, 'kind', kind, 'reclaimed', reclaimed)
  end
end

local plain = tonumber(ARGV[5])
if audit then
  for i = 6, 5 + plain do
    if redis.call('XACK', KEYS[1], group, ARGV[i]) == 1 then
      processed = processed + 1
      record(ARGV[i], 'ok')
    end
  end
else
  for i = 6, 5 + plain, 1000 do
    local last = math.min(5 + plain, i + 999)
    processed = processed + redis.call('XACK', KEYS[1], group, unpack(ARGV, i, last))
    -- every id here is now acknowledged: by this call, or by an earlier commit that deleted it
    redis.call('XDEL', KEYS[1], unpack(ARGV, i, last))
  end
end
local plainCommitted = processed

for i = 6 + plain, #ARGV, 3 do
  local id, kind, payload = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if redis.call('XACK', KEYS[1], group, id) == 1 then
    if kind == 'error' then
      redis.call('XADD', KEYS[2], '*', 'record', payload)
      errors = errors + 1
      processed = processed + 1
    else
      local args = {'*', 'messageId', id, 'reason', payload, 'handler', handler}
      local entry = redis.call('XRANGE', KEYS[1], id, id)
      if entry[1] then
        local fields = entry[1][2]
        for j = 1, math.min(#fields, 400), 2 do
          args[#args + 1] = 'field:' .. fields[j]
          args[#args + 1] = fields[j + 1]
        end
      end
      redis.call('XADD', KEYS[3], unpack(args))
      dead = dead + 1
    end
    record(id, kind)
    flags[#flags + 1] = '1'
  else
    flags[#flags + 1] = '0'
  end
end

for i = 1, #acked, 500 do
  redis.call('XDEL', KEYS[1], unpack(acked, i, math.min(#acked, i + 499)))
end
if processed > 0 then redis.call('HINCRBY', KEYS[4], 'processed', processed) end
if errors > 0 then redis.call('HINCRBY', KEYS[4], 'errors', errors) end
if dead > 0 then redis.call('HINCRBY', KEYS[4], 'deadLettered', dead) end
return plainCommitted .. ':' .. table.concat(flags)
