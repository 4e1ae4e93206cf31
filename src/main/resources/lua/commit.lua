-- Commit handled stream entries exactly once, with the effects of every message they hold.
-- KEYS[1] messages, KEYS[2] errors, KEYS[3] dead-letter, KEYS[4] stats, KEYS[5] audit ledger (committed)
-- ARGV[1] group, ARGV[2] handler node id, ARGV[3] '1' to record each commit in the audit ledger,
-- ARGV[4] '1' when the entries were reclaimed from another consumer, ARGV[5] p: the number of plain
-- entries (one message, judged fine) whose ids follow, ARGV[6 .. 5+p] their ids; then, for every
-- other entry: id, n, kinds, payloads, where
--   n is the number of messages of a pack, or '0' for an entry that is one message (the single
--     format, or an entry that is not a pack of messages at all): its message id is the entry id,
--     a pack's message i has id '<entry id>/i';
--   kinds has one character per message: 'o' fine, 'e' error, 'd' dead letter;
--   payloads follow for each 'e' and 'd', in order: 'e' the error record JSON; 'd' the reason, and
--     in a pack also the message's gen, epoch, seq, ts and text (an entry that is one message is
--     dead-lettered with all its fields, read here).
-- For each entry: XACK, and only when XACK returned 1 (nobody committed it before) apply the
-- effects of all its messages and XDEL it, so the stream keeps only uncommitted work (one XDEL for
-- all of the call's committed ids, at the end of the same script: cheaper per id than one XDEL
-- each). A pack is acknowledged and committed whole: its messages' effects happen together, once.
-- Plain entries have no effect but counters and the XDEL, so without the ledger they are
-- acknowledged with one multi-id XACK, whose count is all that matters; with the ledger, one XACK
-- each, to record exactly which ones this call committed.
-- Ledger: one entry per committed entry: msg, handler, kind, reclaimed; for a pack msg is the entry
-- id and kind is replaced by n and kinds.
-- Stats count messages: processed (fine and errors), errors, deadLettered, and backlog goes down
-- by the messages committed.
-- Returns '<plain entries committed now>:<one character per other entry, in argument order:
-- '1' committed now, '0' committed before>'.
-- Key types and the counters are checked before any write (lib/guard.lua): a script has no rollback.
local refused = guard_types({KEYS[1], 'stream', KEYS[2], 'stream', KEYS[3], 'stream', KEYS[4], 'hash', KEYS[5], 'stream'})
    or guard_counters(KEYS[4], {'processed', 'errors', 'deadLettered', 'backlog'})
if refused then
  return refused
end
local group, handler, audit, reclaimed = ARGV[1], ARGV[2], ARGV[3] == '1', ARGV[4]
local flags = {}
local acked = {}
local processed, errors, dead, messages = 0, 0, 0, 0
local names = {o = 'ok', e = 'error', d = 'dead'}

local plain = tonumber(ARGV[5])
if audit then
  for i = 6, 5 + plain do
    if redis.call('XACK', KEYS[1], group, ARGV[i]) == 1 then
      processed = processed + 1
      acked[#acked + 1] = ARGV[i]
      redis.call('XADD', KEYS[5], '*', 'msg', ARGV[i], 'handler', handler, 'kind', 'ok', 'reclaimed', reclaimed)
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
messages = processed

local function deadLetter(msgId, reason, fields)
  deadLetterFields(KEYS[3], msgId, reason, handler, fields)
  dead = dead + 1
end

local i = 6 + plain
while i <= #ARGV do
  local id, n, kinds = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
  i = i + 3
  local commit = redis.call('XACK', KEYS[1], group, id) == 1
  local fine = #kinds
  local at = string.find(kinds, '[^o]')
  while at do
    local kind = string.sub(kinds, at, at)
    fine = fine - 1
    if kind == 'e' then
      if commit then
        redis.call('XADD', KEYS[2], '*', 'record', ARGV[i])
        errors = errors + 1
        processed = processed + 1
      end
      i = i + 1
    elseif n == 0 then
      if commit then
        local entry = redis.call('XRANGE', KEYS[1], id, id)
        deadLetter(id, ARGV[i], entry[1] and entry[1][2] or {})
      end
      i = i + 1
    else
      if commit then
        deadLetter(id .. '/' .. (at - 1), ARGV[i], {'gen', ARGV[i + 1], 'epoch', ARGV[i + 2], 'seq', ARGV[i + 3],
          'ts', ARGV[i + 4], 'text', ARGV[i + 5]})
      end
      i = i + 6
    end
    at = string.find(kinds, '[^o]', at + 1)
  end
  if commit then
    processed = processed + fine
    messages = messages + #kinds
    acked[#acked + 1] = id
    if audit then
      if n == 0 then
        redis.call('XADD', KEYS[5], '*', 'msg', id, 'handler', handler, 'kind', names[kinds], 'reclaimed', reclaimed)
      else
        redis.call('XADD', KEYS[5], '*', 'msg', id, 'handler', handler, 'n', n, 'kinds', kinds, 'reclaimed', reclaimed)
      end
    end
    flags[#flags + 1] = '1'
  else
    flags[#flags + 1] = '0'
  end
end

for j = 1, #acked, 500 do
  redis.call('XDEL', KEYS[1], unpack(acked, j, math.min(#acked, j + 499)))
end
if processed > 0 then redis.call('HINCRBY', KEYS[4], 'processed', processed) end
if errors > 0 then redis.call('HINCRBY', KEYS[4], 'errors', errors) end
if dead > 0 then redis.call('HINCRBY', KEYS[4], 'deadLettered', dead) end
if messages > 0 then redis.call('HINCRBY', KEYS[4], 'backlog', -messages) end
return plainCommitted .. ':' .. table.concat(flags)
