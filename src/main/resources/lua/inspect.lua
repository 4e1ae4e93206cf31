-- What a node must know of the Redis it works with, read in one call: at start (a node refuses to
-- start on a read-only replica, under an evicting maxmemory-policy, or without a permission it
-- needs) and after every heartbeat (a policy changed, keys evicted, Baton's data lost, a permission
-- taken away). See docs/DESIGN.md, "Redis that loses data or refuses".
-- KEYS[1] marker (hash: id, since, and lostAt, lost once a node recorded a loss), KEYS[2] epoch,
-- KEYS[3] stats, KEYS[4] messages
-- ARGV[1] a fresh marker id, ARGV[2] handlers group, ARGV[3] '1' to check permissions,
-- ARGV[4..] the permission checks, each as the number of words n followed by n words: a command
-- and the arguments a node sends with it (keys and channels named as Baton names them)
-- The cluster marker is written once, on a primary, when absent: {id = ARGV[1], since = server ms}.
-- A node remembers the id it saw; a marker that vanished or names another id means Redis lost
-- Baton's data (FLUSHALL, a restart without persistence, eviction, the key deleted by hand).
-- INFO is read with pcall: a user without INFO gets '' and -1 for what it tells (and a denial).
-- Permissions are asked with redis.acl_check_cmd (Redis 7), which runs nothing, one need at a time
-- with all its arguments; the node tells a denied command from denied keys or channels by the
-- other needs of the same key or channel (TYPE of each key is one).
-- Returns {server ms, role ('master', 'slave' or ''), read-only replica 1/0, its primary
--          'host:port' or '', maxmemory-policy or '', maxmemory (-1 unknown), evicted_keys
--          (-1 unknown), run id or '', marker id or '', 1 when this call wrote the marker, the
--          marker's since, lostAt and lost ('' when absent), epoch, stats published and processed
--          (each '' when absent), 1 when the stream exists, its entries-added (-1 unknown or
--          absent), its last-generated-id or '', 1 when the group exists, permissions checked: 1,
--          0 not asked, -1 this Redis cannot tell (before 7.0), the indexes (from 1) of the
--          denied checks}.
-- Called with no KEYS (when Redis refused the keys of a call with them), it checks the permissions
-- alone and reports every key as absent.
-- Writes nothing but the absent marker; refuses, having written nothing, when the marker key holds
-- something else than a hash (lib/guard.lua).
local keyed = #KEYS > 0
local refused = keyed and guard_types({KEYS[1], 'hash'})
if refused then
  return refused
end

local function info(section)
  local text = redis.pcall('INFO', section)
  if type(text) ~= 'string' then
    return nil
  end
  return text
end

local function field(text, name)
  if not text then
    return nil
  end
  return string.match(text, name .. ':([^\r\n]*)')
end

local now = server_ms()
local replication = info('replication')
local role = field(replication, 'role') or ''
local readOnly = (role == 'slave' and field(replication, 'slave_read_only') ~= '0') and 1 or 0
local primary = ''
if role == 'slave' then
  primary = (field(replication, 'master_host') or '?') .. ':' .. (field(replication, 'master_port') or '?')
end
local memory = info('memory')
local policy = field(memory, 'maxmemory_policy') or ''
local maxmemory = tonumber(field(memory, 'maxmemory') or '') or -1
local evicted = tonumber(field(info('stats'), 'evicted_keys') or '') or -1
local run = field(info('server'), 'run_id') or ''

local created = 0
local marker = {}
if keyed and redis.call('EXISTS', KEYS[1]) == 0 and role == 'master' then
  redis.call('HSET', KEYS[1], 'id', ARGV[1], 'since', now)
  created = 1
end
if keyed then
  marker = redis.call('HMGET', KEYS[1], 'id', 'since', 'lostAt', 'lost')
end

local function value(key)
  if not keyed or redis.call('TYPE', key).ok ~= 'string' then
    return ''
  end
  return redis.call('GET', key)
end
local counters = {'', ''}
if keyed and redis.call('TYPE', KEYS[3]).ok == 'hash' then
  local c = redis.call('HMGET', KEYS[3], 'published', 'processed')
  counters = {c[1] or '', c[2] or ''}
end

local streamExists, added, lastId, groupExists = 0, -1, '', 0
if keyed and redis.call('TYPE', KEYS[4]).ok == 'stream' then
  streamExists = 1
  local s = redis.pcall('XINFO', 'STREAM', KEYS[4])
  if not s.err then
    for i = 1, #s, 2 do
      if s[i] == 'entries-added' then added = s[i + 1] end
      if s[i] == 'last-generated-id' then lastId = s[i + 1] end
    end
  end
  local groups = redis.pcall('XINFO', 'GROUPS', KEYS[4])
  if not groups.err then
    for _, g in ipairs(groups) do
      for i = 1, #g, 2 do
        if g[i] == 'name' and g[i + 1] == ARGV[2] then groupExists = 1 end
      end
    end
  end
end

local checked, denied = 0, {}
if ARGV[3] == '1' then
  if type(redis.acl_check_cmd) ~= 'function' then
    checked = -1
  else
    checked = 1
    local i, index = 4, 0
    while i <= #ARGV do
      local n = tonumber(ARGV[i])
      index = index + 1
      -- always with every argument: Redis 7.0.15 crashes on acl_check_cmd('EVAL') alone for a
      -- user with key patterns (it reads the missing key arguments)
      local ok, allowed = pcall(redis.acl_check_cmd, unpack(ARGV, i + 1, i + n))
      if ok and not allowed then
        denied[#denied + 1] = index
      end
      -- a command this server does not know (SSUBSCRIBE before 7.0) is not Baton's need here
      i = i + n + 1
    end
  end
end

return {now, role, readOnly, primary, policy, maxmemory, evicted, run,
  marker[1] or '', created, marker[2] or '', marker[3] or '', marker[4] or '',
  value(KEYS[2]), counters[1], counters[2], streamExists, added, lastId, groupExists, checked, denied}
