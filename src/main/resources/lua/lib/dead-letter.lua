-- Dead-lettering (prepended to the scripts that use it: commit, reclaim, claim).
-- A dead letter is one entry of the stream dead_key per message: messageId, reason, attempts (how
-- many attempts at the message were made, counting those before a replay), handler, and the
-- message's fields prefixed 'field:' (at most 200), which is all a replay needs.

-- The message id of an entry that is one message: its 'id' field when it has one (a replayed dead
-- letter keeps its id), else the entry id.
local function messageIdOf(entryId, fields)
  for j = 1, #fields, 2 do
    if fields[j] == 'id' then
      return fields[j + 1]
    end
  end
  return entryId
end

-- The attempts made before this entry was added: its 'attempts' field (a replay), else 0.
local function priorAttempts(fields)
  for j = 1, #fields, 2 do
    if fields[j] == 'attempts' then
      return tonumber(fields[j + 1]) or 0
    end
  end
  return 0
end

-- One dead letter for message msgId with the given fields (at most 200, prefixed 'field:').
local function deadLetterFields(dead_key, msgId, reason, attempts, handler, fields)
  local args = {'*', 'messageId', msgId, 'reason', reason, 'attempts', attempts, 'handler', handler}
  for j = 1, math.min(#fields, 400), 2 do
    args[#args + 1] = 'field:' .. fields[j]
    args[#args + 1] = fields[j + 1]
  end
  redis.call('XADD', dead_key, unpack(args))
end

-- Dead-letters one entry: a dead letter per message of a pack (fields n and texts: message
-- '<id>/<i>', with that message's fields), else one with all the entry's fields. Returns how many
-- messages that was, and the ledger fields that name them. (The message-id format's one Java home
-- is dev.baton.redis.MessageId.)
local function deadLetterEntry(dead_key, id, fields, reason, attempts, handler)
  local f = {}
  for j = 1, #fields, 2 do f[fields[j]] = fields[j + 1] end
  local n = tonumber(f['n'])
  local texts = f['texts']
  if n and texts and tonumber(f['seq']) and select(2, string.gsub(texts, '\n', '')) + 1 == n then
    local pos, seq = 1, tonumber(f['seq'])
    for k = 0, n - 1 do
      local stop = string.find(texts, '\n', pos, true)
      redis.call('XADD', dead_key, '*', 'messageId', id .. '/' .. k, 'reason', reason, 'attempts', attempts,
        'handler', handler, 'field:gen', f['gen'] or '', 'field:epoch', f['epoch'] or '', 'field:seq', seq + k,
        'field:ts', f['ts'] or '', 'field:text', string.sub(texts, pos, (stop or #texts + 1) - 1))
      pos = stop and stop + 1 or #texts + 1
    end
    return n, {'n', n, 'kinds', string.rep('d', n)}
  end
  deadLetterFields(dead_key, messageIdOf(id, fields), reason, attempts, handler, fields)
  return 1, {'kind', 'dead'}
end

-- Takes an entry delivered too often out of circulation, exactly once: only if this XACK
-- acknowledged it, dead-letters it, deletes it and records it in the ledger (when audit).
-- Shared by reclaim.lua and claim.lua, whose KEYS are messages, dead-letter, stats, ledger (written
-- and counted by lib/ledger.lua, which is prepended before this).
-- Its attempts: every delivery but this one started an attempt (the last one's outcome is unknown:
-- its node died or froze during it), plus those before a replay.
-- Returns how many messages were dead-lettered (0 when it was committed before).
local function deadLetterOverDelivered(keys, group, id, fields, deliveries, maxDeliveries, handler, audit)
  if redis.call('XACK', keys[1], group, id) ~= 1 then
    return 0
  end
  local n, named = deadLetterEntry(keys[2], id, fields,
    'delivered ' .. deliveries .. ' times (handler.maxDeliveries ' .. maxDeliveries .. ')',
    priorAttempts(fields) + deliveries - 1, handler)
  redis.call('XDEL', keys[1], id)
  if audit then
    local fields = {'msg', id, 'handler', handler}
    for _, v in ipairs(named) do
      fields[#fields + 1] = v
    end
    fields[#fields + 1] = 'reclaimed'
    fields[#fields + 1] = '1'
    ledger_add(keys[3], keys[4], 'ledgerCommitted', unpack(fields))
  end
  return n
end
