-- Put dead letters back as new messages, exactly once each (deadLetters --replay).
-- KEYS[1] dead-letter, KEYS[2] messages, KEYS[3] stats, KEYS[4] audit ledger (published),
-- KEYS[5] audit ledger (committed)
-- ARGV[1] '1' to record replays in the audit ledger even if there is none yet, ARGV[2..] dead
-- letter entry ids
-- For each dead letter that is still there and holds a message (fields messageId and field:gen,
-- field:epoch, field:seq, field:ts, field:text; attempts absent or a whole number): XADD to the
-- messages an entry in the single-message format (gen, epoch, seq, ts, text) plus id = the message
-- id (a replay keeps its id: the idempotency key handed to plug-ins) and attempts = the dead
-- letter's attempts (so attempt numbers go on from there), XDEL the dead letter, and add 1 to the
-- stats' backlog and replayed. Reading, adding and deleting are one atomic step, so a dead letter
-- is replayed at most once however many runs ask for it at once: the others find it gone.
-- Replays are recorded whenever a ledger exists, whatever the caller's own audit setting (as
-- drain-ack.lua does for drains): msg = the new entry id, epoch, gen, seq, replayOf = the message id,
-- counted like every ledger entry (lib/ledger.lua).
-- Returns, per id in order, {'1', message id, new entry id} or {'0', message id or '', why not}.
-- Key types and the counters are checked before any write (lib/guard.lua): a script has no rollback.
local refused = guard_types({KEYS[1], 'stream', KEYS[2], 'stream', KEYS[3], 'hash', KEYS[4], 'stream'})
    or guard_counters(KEYS[3], {'backlog', 'replayed'})
    or ledger_guard(KEYS[3])
if refused then
  return refused
end
local audit = ARGV[1] == '1' or redis.call('EXISTS', KEYS[4], KEYS[5]) > 0
local message = {'gen', 'epoch', 'seq', 'ts', 'text'}
local out = {}
local replayed = 0
for i = 2, #ARGV do
  local entry = redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i])[1]
  if not entry then
    out[#out + 1] = {'0', '', 'already replayed (the dead letter is gone)'}
  else
    local f = {}
    for j = 1, #entry[2], 2 do f[entry[2][j]] = entry[2][j + 1] end
    local msgId = f['messageId']
    local attempts = f['attempts'] or '0'
    local missing = nil
    for _, name in ipairs(message) do
      if not f['field:' .. name] then
        missing = missing or ('field:' .. name)
      end
    end
    if not msgId or msgId == '' then
      out[#out + 1] = {'0', '', 'not a dead letter of a message: no messageId'}
    elseif missing then
      out[#out + 1] = {'0', msgId, 'not a message: the dead letter has no ' .. missing}
    elseif not string.match(attempts, '^%d+$') then
      out[#out + 1] = {'0', msgId, 'not a message: attempts is "' .. string.sub(attempts, 1, 40) .. '", not a whole number'}
    else
      local id = redis.call('XADD', KEYS[2], '*', 'gen', f['field:gen'], 'epoch', f['field:epoch'],
        'seq', f['field:seq'], 'ts', f['field:ts'], 'text', f['field:text'], 'id', msgId, 'attempts', attempts)
      redis.call('XDEL', KEYS[1], ARGV[i])
      if audit then
        ledger_add(KEYS[3], KEYS[4], 'ledgerPublished', 'msg', id, 'epoch', f['field:epoch'],
          'gen', f['field:gen'], 'seq', f['field:seq'], 'replayOf', msgId)
      end
      replayed = replayed + 1
      out[#out + 1] = {'1', msgId, id}
    end
  end
end
if replayed > 0 then
  redis.call('HINCRBY', KEYS[3], 'backlog', replayed)
  redis.call('HINCRBY', KEYS[3], 'replayed', replayed)
end
return out
