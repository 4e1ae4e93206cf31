-- The audit ledger (prepended to every script that writes it: publish, commit, reclaim, claim,
-- drain-ack; see docs/DESIGN.md, "Verify"). Every ledger entry is counted in the stats hash by the
-- script that writes it (fields ledgerPublished, ledgerCommitted, ledgerDrained), and the first
-- entry notes where the ledger began: ledgerSince (server ms), ledgerRun (the server's run id),
-- ledgerEvicted (its INFO evicted_keys then), ledgerPrior (1 when the stream it writes already held
-- entries: the counts were lost, not the ledger begun). verify compares the counts with what the
-- ledger holds and the evictions since, so a ledger that lost entries with Redis's data is never
-- judged complete.

-- nil, or the refusal when a ledger counter in `stats` is not an integer; call it with the other
-- guards, before the script's first write (the type of `stats` is checked there too).
local function ledger_guard(stats)
  return guard_counters(stats, {'ledgerPublished', 'ledgerCommitted', 'ledgerDrained'})
end

local ledger_begun = false

-- Appends one entry (its fields ...) to the ledger stream `ledger` and counts it in `stats` under
-- `counter`; returns the entry's id.
local function ledger_add(stats, ledger, counter, ...)
  if not ledger_begun then
    ledger_begun = true
    if redis.call('HEXISTS', stats, 'ledgerSince') == 0 then
      local run, evicted = '', ''
      local server = redis.pcall('INFO', 'server')
      if type(server) == 'string' then run = string.match(server, 'run_id:(%w+)') or '' end
      local stats_info = redis.pcall('INFO', 'stats')
      if type(stats_info) == 'string' then evicted = string.match(stats_info, 'evicted_keys:(%d+)') or '' end
      redis.call('HSET', stats, 'ledgerSince', server_ms(), 'ledgerRun', run, 'ledgerEvicted', evicted,
        'ledgerPrior', redis.call('EXISTS', ledger))
    end
  end
  local id = redis.call('XADD', ledger, '*', ...)
  redis.call('HINCRBY', stats, counter, 1)
  return id
end
