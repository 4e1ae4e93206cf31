-- Commit handled stream entries exactly once, with the effects of every message they hold.
-- KEYS[1] messages, KEYS[2] errors, KEYS[3] dead-letter, KEYS[4] stats, KEYS[5] audit ledger (committed)
-- ARGV[1] group, ARGV[2] handler node id, ARGV[3] '1' to record each commit in the audit ledger,
-- ARGV[4] '1' when the entries were reclaimed from another consumer, ARGV[5] p: the number of plain
-- entries (one message, judged fine) that follow as p pairs (id, delivery count); then, for every
-- other entry: id, delivery count, n, kinds, payloads, where
--   n is the number of messages of a pack, or '0' for an entry that is one message (the single
--     format, or an entry that is not a pack of messages at all): its message id is the entry's
--     'id' field when it has one (a replayed dead letter), else the entry id; a pack's message i
--     has id '<entry id>/i' (the format's one Java home: dev.baton.redis.MessageId);
--   kinds has one character per message: 'o' fine, 'e' error, 'd' dead letter;
--   payloads follow for each 'e' and 'd', in order: 'e' the error record JSON; 'd' the reason and
--     the attempts made, and in a pack also the message's gen, epoch, seq, ts and text (an entry
--     that is one message is dead-lettered with all its fields, read here).
-- The claim fences the commit, as the lease fences a publish (the zombie rule, docs/DESIGN.md): an
-- entry is committed only while it is pending on ARGV[2] with the delivery count the caller's
-- attempts ran under. One taken over since (reclaimed, claimed: a new delivery, to another
-- consumer or to this one again) or already committed is left alone, so the late outcome of an
-- attempt whose claim was superseded — its node was frozen or cut off — is never committed.
-- For each entry it holds: XACK, and only when XACK returned 1 apply the effects of all its
-- messages and XDEL it, so the stream keeps only uncommitted work (one XDEL for all of the call's
-- committed ids, at the end of the same script: cheaper per id than one XDEL each). A pack is
-- acknowledged and committed whole: its messages' effects happen together, once.
-- Plain entries have no effect but counters and the XDEL, so without the ledger those it holds are
-- acknowledged with one multi-id XACK, whose count is all that matters; with the ledger, one XACK
-- each, to record exactly which ones this call committed.
-- Ledger: one entry per committed entry: msg, handler, kind, reclaimed; for a pack msg is the entry
-- id and kind is replaced by n and kinds; each counted in the stats hash (lib/ledger.lua).
-- Stats count messages: processed (fine and errors), errors, deadLettered, and backlog goes down
-- by the messages committed.
-- Returns '<plain entries committed now>:<one character per other entry, in argument order:
-- '1' committed now, '0' not: committed before, or held by another consumer>'.
-- Key types and the counters are checked before any write (lib/guard.lua): a script has no rollback.
local refused = guard_types({KEYS[1], 'stream', KEYS[2], 'stream', KEYS[3], 'stream', KEYS[4], 'hash', KEYS[5], 'stream'})
    or guard_counters(KEYS[4], {'processed', 'errors', 'deadLettered', 'backlog'})
    or (ARGV[3] == '1' and ledger_guard(KEYS[4]))
if refused then
  return refused
end
local group, handler, audit, reclaimed = ARGV[1], ARGV[2], ARGV[3] == '1', ARGV[4]
local flags = {}
local acked = {}
local processed, errors, dead, messages = 0, 0, 0, 0
local names = {o = 'ok', e = 'error', d = 'dead'}

-- whether ARGV[2] still holds the entry under the claim the caller worked with: pending on that
-- consumer, with that delivery count
local function held(id, deliveries)
  local p = redis.call('XPENDING', KEYS[1], group, id, id, 1, handler)[1]
  return p ~= nil and p[4] == tonumber(deliveries)
end

local plain = tonumber(ARGV[5])
local others = 6 + 2 * plain
if audit then
  for i = 6, others - 1, 2 do
    if held(ARGV[i], ARGV[i + 1]) and redis.call('XACK', KEYS[1], group, ARGV[i]) == 1 then
      processed = processed + 1
      acked[#acked + 1] = ARGV[i]
      ledger_add(KEYS[4], KEYS[5], 'ledgerCommitted', 'msg', ARGV[i], 'handler', handler, 'kind', 'ok', 'reclaimed', reclaimed)
    end
  end
else
  local mine = {}
  for i = 6, others - 1, 2 do
    if held(ARGV[i], ARGV[i + 1]) then
      mine[#mine + 1] = ARGV[i]
    end
  end
  for i = 1, #mine, 1000 do
    local last = math.min(#mine, i + 999)
    -- each was pending on this consumer: the count is exact, and every one is now acknowledged
    processed = processed + redis.call('XACK', KEYS[1], group, unpack(mine, i, last))
    redis.call('XDEL', KEYS[1], unpack(mine, i, last))
  end
end
local plainCommitted = processed
messages = processed

local function deadLetter(msgId, reason, attempts, fields)
  deadLetterFields(KEYS[3], msgId, reason, attempts, handler, fields)
  dead = dead + 1
end

local i = others
while i <= #ARGV do
  local id, deliveries, n, kinds = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), ARGV[i + 3]
  i = i + 4
  local commit = held(id, deliveries) and redis.call('XACK', KEYS[1], group, id) == 1
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
        local fields = entry[1] and entry[1][2] or {}
        deadLetter(messageIdOf(id, fields), ARGV[i], ARGV[i + 1], fields)
      end
      i = i + 2
    else
      if commit then
        deadLetter(id .. '/' .. (at - 1), ARGV[i], ARGV[i + 1], {'gen', ARGV[i + 2], 'epoch', ARGV[i + 3],
          'seq', ARGV[i + 4], 'ts', ARGV[i + 5], 'text', ARGV[i + 6]})
      end
      i = i + 7
    end
    at = string.find(kinds, '[^o]', at + 1)
  end
  if commit then
    processed = processed + fine
    messages = messages + #kinds
    acked[#acked + 1] = id
    if audit then
      if n == 0 then
        ledger_add(KEYS[4], KEYS[5], 'ledgerCommitted', 'msg', id, 'handler', handler, 'kind', names[kinds], 'reclaimed', reclaimed)
      else
        ledger_add(KEYS[4], KEYS[5], 'ledgerCommitted', 'msg', id, 'handler', handler, 'n', n, 'kinds', kinds, 'reclaimed', reclaimed)
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
