-- Presence (prepended to the scripts that use it; see docs/DESIGN.md, "Presence").
-- The hash KEYS-given as `presence` maps node id -> record: '<run id> <mode>' (the node was seen
-- subscribed to its channel '<presence key>:<node id>' on the server instance with that run id;
-- mode 's' counts subscribers with PUBSUB SHARDNUMSUB, 'n' with PUBSUB NUMSUB) or 'gone <run id>'
-- (declared dead on that instance). A record of another run id is stale and means nothing: after a
-- restart or a promotion nobody is subscribed yet, and nobody may be taken for dead because of it.

-- The run id of this server instance, or nil when INFO is not allowed (presence then says nothing).
local function presence_run_id()
  local info = redis.pcall('INFO', 'server')
  if type(info) ~= 'string' then
    return nil
  end
  return string.match(info, 'run_id:(%w+)')
end

-- 'present', 'vanished' (seen here, now no subscriber: its connection closed), 'gone' (declared
-- dead here) or 'unknown' (no record for this instance: the lease alone decides).
local function presence_state(presence, run, node)
  if not run then
    return 'unknown'
  end
  local record = redis.call('HGET', presence, node)
  if not record then
    return 'unknown'
  end
  if record == 'gone ' .. run then
    return 'gone'
  end
  local seen, mode = string.match(record, '^(%w+) ([sn])$')
  if seen ~= run then
    return 'unknown'
  end
  local sub = (mode == 's') and 'SHARDNUMSUB' or 'NUMSUB'
  local reply = redis.call('PUBSUB', sub, presence .. ':' .. node)
  if tonumber(reply[2]) > 0 then
    return 'present'
  end
  return 'vanished'
end

local function presence_absent(state)
  return state == 'vanished' or state == 'gone'
end
