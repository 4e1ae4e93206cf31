-- Dead-lettering (prepended to the scripts that use it).
-- Copies an entry's fields (at most 200, prefixed 'field:') into the dead-letter stream with the
-- reason and the handler.
local function dead_letter(dead_key, id, fields, reason, handler)
  local args = {'*', 'messageId', id, 'reason', reason, 'handler', handler}
  if fields then
    for j = 1, math.min(#fields, 400), 2 do
      args[#args + 1] = 'field:' .. fields[j]
      args[#args + 1] = fields[j + 1]
    end
  end
  redis.call('XADD', dead_key, unpack(args))
end
