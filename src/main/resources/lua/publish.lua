-- Fenced publish: add messages only while the lease names this node and this epoch.
-- KEYS[1] leader, KEYS[2] epoch, KEYS[3] messages, KEYS[4] stats
-- ARGV[1] node id, ARGV[2] epoch, ARGV[3] max backlog, ARGV[4] seq of the first message,
-- ARGV[5..] message texts
-- Returns {-1} when fenced (another node or epoch holds the lease), {-2, backlog} when the
-- backlog bound is reached (nothing added), else {1, backlog after, ts, id1, id2, ...}.
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
local out = {1, backlog + #ARGV - 4, ts}
for i = 5, #ARGV do
  out[#out + 1] = redis.call('XADD', KEYS[3], '*',
    'gen', ARGV[1], 'epoch', ARGV[2], 'seq', string.format('%.0f', seq), 'ts', ts, 'text', ARGV[i])
  seq = seq + 1
end
redis.call('HINCRBY', KEYS[4], 'published', #ARGV - 4)
return out
