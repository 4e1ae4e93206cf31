-- Fenced publish: add messages only while the lease names this node and this epoch.
-- KEYS[1] leader, KEYS[2] epoch, KEYS[3] messages, KEYS[4] stats, KEYS[5] audit ledger (published),
-- KEYS[6] the last tick published ('<epoch> <tick> <messages> <last entry id>')
-- ARGV[1] node id, ARGV[2] epoch, ARGV[3] max backlog (messages), ARGV[4] seq of the first message,
-- ARGV[5] '1' to record what is published in the audit ledger,
-- ARGV[6] '0': ARGV[7..] are message texts, one stream entry each (fields gen, epoch, seq, ts, text);
--         '1': ARGV[7..] are pairs (n, texts), one pack entry each: n messages whose texts are joined
--         by '\n' (fields gen, epoch, seq of its first message, ts, n, texts);
--         't': a source's tick: ARGV[7] is the tick's number within the epoch (its idempotency key
--         is '<epoch>:<tick>'), ARGV[8..] its texts, one stream entry each as for '0'. A tick is
--         published at most once however often the call is retried: this epoch's ticks are
--         published in order, one at a time, so a tick at or below the last one recorded in
--         KEYS[6] was published before, and nothing is added.
-- The backlog is counted in messages: stats field 'backlog' (messages published and not yet
-- committed), never below the stream's length (an entry holds at least one message) and reset when
-- the stream is empty, so a counter that drifted (a third party's entries) heals itself.
-- Returns {-1} when fenced (another node or epoch holds the lease), {-2, backlog} when the
-- backlog bound is reached (nothing added), {-3, messages, last entry id} when the tick was
-- published before (by an earlier call whose reply was lost), else {1, backlog after, ts, messages
-- added, last entry id}.
-- Each ledger entry is counted in the stats hash (lib/ledger.lua).
-- Before the first write it refuses, having written nothing, when the stream, the stats hash, a
-- counter in it or the ledger (when recording) holds something else (lib/guard.lua).
if redis.call('GET', KEYS[1]) ~= ARGV[1] or redis.call('GET', KEYS[2]) ~= ARGV[2] then
  return {-1}
end
local tick = ARGV[6] == 't'
local refused = guard_types({KEYS[3], 'stream', KEYS[4], 'hash'})
    or (ARGV[5] == '1' and (guard_types({KEYS[5], 'stream'}) or ledger_guard(KEYS[4])))
    or (tick and guard_types({KEYS[6], 'string'}))
    or guard_counters(KEYS[4], {'published'})
if refused then
  return refused
end
if tick then
  local last = redis.call('GET', KEYS[6])
  if last then
    local e, t, n, id = string.match(last, '^(%d+) (%d+) (%d+) (%S*)$')
    if e == ARGV[2] and #t >= #ARGV[7] and (#t > #ARGV[7] or t >= ARGV[7]) then
      return {-3, tonumber(n), id}
    end
  end
end
local entries = redis.call('XLEN', KEYS[3])
local backlog = 0
if entries > 0 then
  backlog = math.max(entries, tonumber(redis.call('HGET', KEYS[4], 'backlog') or '0') or 0)
end
if backlog >= tonumber(ARGV[3]) then
  return {-2, backlog}
end
local ts = string.format('%.0f', server_ms())
local seq = tonumber(ARGV[4])
local audit = ARGV[5] == '1'
local n = 0
local id = ''
-- the loops run once per entry: locals, and seq passed as a number (Redis writes integers exactly)
local call, stream, ledger, gen, epoch = redis.call, KEYS[3], KEYS[5], ARGV[1], ARGV[2]
if ARGV[6] == '1' then
  for i = 7, #ARGV, 2 do
    local count = tonumber(ARGV[i])
    id = call('XADD', stream, '*', 'gen', gen, 'epoch', epoch, 'seq', seq, 'ts', ts, 'n', count, 'texts', ARGV[i + 1])
    if audit then
      ledger_add(KEYS[4], ledger, 'ledgerPublished', 'msg', id, 'epoch', epoch, 'gen', gen, 'seq', seq, 'n', count)
    end
    seq = seq + count
    n = n + count
  end
else
  for i = tick and 8 or 7, #ARGV do
    id = call('XADD', stream, '*', 'gen', gen, 'epoch', epoch, 'seq', seq, 'ts', ts, 'text', ARGV[i])
    if audit then
      ledger_add(KEYS[4], ledger, 'ledgerPublished', 'msg', id, 'epoch', epoch, 'gen', gen, 'seq', seq)
    end
    seq = seq + 1
    n = n + 1
  end
end
if tick then
  redis.call('SET', KEYS[6], epoch .. ' ' .. ARGV[7] .. ' ' .. n .. ' ' .. id)
end
redis.call('HINCRBY', KEYS[4], 'published', n)
redis.call('HSET', KEYS[4], 'backlog', backlog + n)
return {1, backlog + n, ts, n, id}
