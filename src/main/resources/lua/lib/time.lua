-- The Redis server's clock (prepended to the scripts that use it): every timestamp Baton stores or
-- compares comes from here, never from a node's clock.
local function server_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
