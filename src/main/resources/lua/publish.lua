-- Fenced publish: add messages only while the lease names this node and this epoch.
-- KEYS[1] leader, KEYS[2] epoch, KEYS[3] messages, KEYS[4] stats, KEYS[5] audit ledger (published)
-- ARGV[1] node id, ARGV[2] epoch, ARGV[3] max backlog, ARGV[4] seq of the first message,
-- ARGV[5] '1' to record each message in the audit ledger, ARGV[6..] message texts
-- Returns {-1} when fenced (another node or epoch holds the lease), {-2, backlog} when the
-- backlog bound is reached (nothing added), else {1, backlog after, ts, count, last id}.
if redis.call('GET', KEYS[1]) ~= ARGV[1] or redis.call('GET', KEYS[2]) ~= ARGV[2] then
  return {-1}
end
local backlog = redis.call('XLEN', KEYS[3])
if backlog >= tonumber(ARGV[3]) then
  return {-2, backlog}
end
local t = redis.call('TIME')
local ts = string.format('%.0f', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
local seq = tonumber(ARGV[4])
local audit = ARGV[5] == '1'
local n = #ARGV - 5
local id = ''
-- the loop runs once per message: locals, and seq passed as a number (Redis writes integers exactly)
local call, stream, gen, epoch = redis.call, KEYS[3], ARGV[1], ARGV[2]
for i = 6, #ARGV do
  id = call('XADD', stream, '*', 'gen', gen, 'epoch', epoch, 'seq', seq, 'ts', ts, 'text', ARGV[i])
  if audit then
    call('XADD', KEYS[5], '*', 'msg', id, 'epoch', epoch, 'gen', gen, 'seq', seq)
  end
  seq = seq + 1
end
redis.call('HINCRBY', KEYS[4], 'published', n)
return {1, backlog + n, ts, n, id}
