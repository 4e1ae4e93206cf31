-- What verify needs to tell whether the audit ledger is complete, read at one instant (reads only).
-- KEYS[1] stats, KEYS[2] ledger (published), KEYS[3] ledger (committed), KEYS[4] ledger (drained),
-- KEYS[5] marker
-- Returns {entries of the three ledger streams (-1 when a key holds another type),
--          stats ledgerSince, ledgerRun, ledgerEvicted, ledgerPrior, ledgerPublished,
--          ledgerCommitted, ledgerDrained ('' when absent; see lib/ledger.lua),
--          marker lostAt, lost ('' when absent), the server's run id and evicted_keys ('' unknown)}.
local function entries(key)
  local n = redis.pcall('XLEN', key)
  if type(n) ~= 'number' then
    return -1
  end
  return n
end

local counts = {'', '', '', '', '', '', ''}
if redis.call('TYPE', KEYS[1]).ok == 'hash' then
  local c = redis.call('HMGET', KEYS[1], 'ledgerSince', 'ledgerRun', 'ledgerEvicted', 'ledgerPrior',
    'ledgerPublished', 'ledgerCommitted', 'ledgerDrained')
  for i = 1, 7 do counts[i] = c[i] or '' end
end
local lost = {'', ''}
if redis.call('TYPE', KEYS[5]).ok == 'hash' then
  local m = redis.call('HMGET', KEYS[5], 'lostAt', 'lost')
  lost = {m[1] or '', m[2] or ''}
end
local run, evicted = '', ''
local server = redis.pcall('INFO', 'server')
if type(server) == 'string' then run = string.match(server, 'run_id:(%w+)') or '' end
local stats = redis.pcall('INFO', 'stats')
if type(stats) == 'string' then evicted = string.match(stats, 'evicted_keys:(%d+)') or '' end
return {entries(KEYS[2]), entries(KEYS[3]), entries(KEYS[4]),
  counts[1], counts[2], counts[3], counts[4], counts[5], counts[6], counts[7],
  lost[1], lost[2], run, evicted}
