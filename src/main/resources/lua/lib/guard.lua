-- Guards (in the prelude of every script; see docs/DESIGN.md, "Scripts never half-apply").
-- A script has no rollback: an error after its first write leaves that write in place. So each
-- script checks, before its first write, the type of every key it may write and the value of every
-- counter it increments, and refuses with an error reply that names the key, having written nothing.

-- nil when every key has the wanted type (or does not exist), else the error reply to return.
-- checks: {key, type, key, type, ...}
local function guard_types(checks)
  for i = 1, #checks, 2 do
    local key, want = checks[i], checks[i + 1]
    local t = redis.call('TYPE', key).ok
    if t ~= 'none' and t ~= want then
      return redis.error_reply('WRONGTYPE Redis holds a ' .. t .. ' at ' .. key .. ', not a ' .. want
        .. '; nothing was written')
    end
  end
  return nil
end

-- nil when every named field of the hash is absent or an integer HINCRBY accepts, else the error
-- reply to return. The hash's own type is checked with guard_types first.
local function guard_counters(key, fields)
  if redis.call('EXISTS', key) == 0 then
    return nil
  end
  local values = redis.call('HMGET', key, unpack(fields))
  for i, v in ipairs(fields) do
    local value = values[i]
    if value and not string.match(value, '^%-?%d+$') then
      return redis.error_reply('CORRUPT Redis holds a corrupt counter: ' .. key .. ' field ' .. v .. ' is "'
        .. string.sub(value, 1, 40) .. '", not an integer; nothing was written')
    end
  end
  return nil
end

-- Epochs are compared and grown as decimal strings, never as Lua numbers (doubles: exact only up
-- to 2^53). A valid epoch is a canonical non-negative integer below 2^63 - 1 (INCR's limit).
local EPOCH_MAX = '9223372036854775807'

local function epoch_valid(s)
  if not string.match(s, '^%d+$') or (#s > 1 and string.sub(s, 1, 1) == '0') or #s > #EPOCH_MAX then
    return false
  end
  return #s < #EPOCH_MAX or s <= EPOCH_MAX
end

-- a < b for valid epochs
local function epoch_less(a, b)
  if #a ~= #b then
    return #a < #b
  end
  return a < b
end

-- The epoch key's value ('0' when absent), or nil and the error reply when it holds anything but
-- a valid epoch.
local function guard_epoch(key)
  local t = redis.call('TYPE', key).ok
  if t == 'none' then
    return '0', nil
  end
  if t ~= 'string' then
    return nil, redis.error_reply('CORRUPT Redis holds a corrupt epoch: ' .. key .. ' is a ' .. t
      .. ', not an integer; nothing was written')
  end
  local value = redis.call('GET', key)
  if not epoch_valid(value) then
    return nil, redis.error_reply('CORRUPT Redis holds a corrupt epoch: ' .. key .. ' is "' .. string.sub(value, 1, 40)
      .. '", not an integer between 0 and ' .. EPOCH_MAX .. '; nothing was written')
  end
  return value, nil
end

-- nil when the lease key is absent or a string, else the error reply (a lease is a string).
local function guard_lease(key)
  local t = redis.call('TYPE', key).ok
  if t ~= 'none' and t ~= 'string' then
    return redis.error_reply('CORRUPT Redis holds a corrupt lease: ' .. key .. ' is a ' .. t
      .. ', not a node id; nothing was written')
  end
  return nil
end
