-- Try to take the generator lease; take it over at once from a holder whose presence vanished.
-- KEYS[1] leader, KEYS[2] epoch, KEYS[3] grants (a capped stream: the failover history),
-- KEYS[4] presence (hash; see lib/presence.lua), KEYS[5] messages
-- ARGV[1] node id, ARGV[2] lease ms, ARGV[3] epoch floor (the highest epoch this node has seen,
--         so epochs keep growing even after Redis restarted empty), ARGV[4] presence mode: '0' the
--         lease alone, '1' also take over from a vanished holder, '2' that and list the consumers
--         that hold pending entries and are absent (the watcher's poll), ARGV[5] handlers group
-- Grants when the lease is free (SET NX PX), when it still names this node (a node that revoked
-- itself locally takes a fresh epoch, so its old generator stays fenced), or when the holder's
-- presence vanished on this server instance (its connection closed: it crashed). A takeover marks
-- the old holder 'gone', so it can be taken over by presence again only after it subscribed and
-- registered anew: a node whose presence connection broke loses the baton at most once per break.
-- Every grant takes a new fencing token from INCR and is appended to the grants stream as
-- {epoch, node, ts[, from]} (ts = Redis server ms), trimmed to about 1000 entries. The history is
-- informational: if that key holds something else, nothing is appended and the grant stands.
-- Epochs are decimal strings here and in the reply (lib/guard.lua): the next one is INCR of
-- max(epoch key, floor), done by Redis in 64-bit integers and read back with GET, so epochs keep
-- growing exactly past 2^53 and are never reused. Before its first write the script refuses, having
-- written nothing, when the lease, epoch or presence key holds another type, the epoch key is not
-- a valid epoch, or epochs are exhausted (2^63 - 1); a grants key of another type is left alone.
-- Returns {1, epoch, lease ms, node id, taken over from or '', absent consumers} when granted,
-- else {0, current epoch, PTTL, holder, '', absent consumers}.
local refused = guard_lease(KEYS[1]) or guard_types({KEYS[4], 'hash'})
if refused then
  return refused
end
local current, corrupt = guard_epoch(KEYS[2])
if corrupt then
  return corrupt
end
local floor = ARGV[3]
if not epoch_valid(floor) then
  return redis.error_reply('ERR epoch floor "' .. floor .. '" is not an epoch')
end
local base = epoch_less(current, floor) and floor or current
if base == EPOCH_MAX then
  return redis.error_reply('CORRUPT Redis holds a corrupt epoch: ' .. KEYS[2] .. ' reached ' .. EPOCH_MAX
    .. ', no epoch is left to grant; nothing was written')
end
local history = redis.call('TYPE', KEYS[3]).ok
history = history == 'none' or history == 'stream'
local mode = ARGV[4]
local run = nil
local takenFrom = ''
local granted = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
if not granted then
  local holder = redis.call('GET', KEYS[1])
  if holder == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    granted = true
  elseif mode ~= '0' and holder then
    run = presence_run_id()
    if presence_state(KEYS[4], run, holder) == 'vanished' then
      redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
      redis.call('HSET', KEYS[4], holder, 'gone ' .. run)
      takenFrom = holder
      granted = true
    end
  end
end

local absent = {}
if mode == '2' and redis.call('EXISTS', KEYS[5]) == 1 then
  run = run or presence_run_id()
  local consumers = redis.pcall('XINFO', 'CONSUMERS', KEYS[5], ARGV[5])
  if run and not consumers.err then
    for _, c in ipairs(consumers) do
      local info = {}
      for i = 1, #c, 2 do info[c[i]] = c[i + 1] end
      if info['pending'] > 0 and info['name'] ~= ARGV[1]
          and presence_absent(presence_state(KEYS[4], run, info['name'])) then
        absent[#absent + 1] = info['name']
      end
    end
  end
end

if granted then
  if base ~= current then
    redis.call('SET', KEYS[2], base)
  end
  redis.call('INCR', KEYS[2])
  local epoch = redis.call('GET', KEYS[2])
  local now = server_ms()
  if not history then
    -- the history is informational: a key of another type is left as it is
  elseif takenFrom == '' then
    redis.call('XADD', KEYS[3], 'MAXLEN', '~', 1000, '*', 'epoch', epoch, 'node', ARGV[1], 'ts', now)
  else
    redis.call('XADD', KEYS[3], 'MAXLEN', '~', 1000, '*', 'epoch', epoch, 'node', ARGV[1], 'ts', now,
      'from', takenFrom)
  end
  return {1, epoch, tonumber(ARGV[2]), ARGV[1], takenFrom, absent}
end
return {0, current, redis.call('PTTL', KEYS[1]), redis.call('GET', KEYS[1]), '', absent}
