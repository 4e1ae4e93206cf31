-- The endings shared by the scripts that claim entries (prepended to reclaim.lua, claim.lua and
-- drain-claim.lua).

-- An entry deleted after it was delivered stays in the group's PEL on Redis 6.2, where XCLAIM
-- leaves it out of its reply and XAUTOCLAIM lists it with nil fields: acknowledge it, so it leaves
-- the PEL.
local function ack_deleted(stream, group, id)
  redis.call('XACK', stream, group, id)
end

-- After an XCLAIM of `ids`: acknowledge the ids it did not return (`seen` marks those it did).
local function ack_unclaimed(stream, group, ids, seen)
  for _, id in ipairs(ids) do
    if not seen[id] then
      ack_deleted(stream, group, id)
    end
  end
end

-- Counts `dead` messages dead-lettered in the stats hash: out of the backlog, into deadLettered.
local function count_dead_lettered(stats, dead)
  if dead > 0 then
    redis.call('HINCRBY', stats, 'deadLettered', dead)
    redis.call('HINCRBY', stats, 'backlog', -dead)
  end
end
