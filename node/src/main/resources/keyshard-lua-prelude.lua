-- Keyshard's Lua sandbox, run once in a fresh Lua 5.1 state (docs/research/2026-12-07-redis-7.0-lua-facts.md).
-- The Java side has set __ks_call / __ks_pcall (redis.call / redis.pcall) and __ks_hook, and
-- installed Redis's libraries (cjson, cmsgpack, bit, struct, math.random/randomseed) as globals,
-- which are sealed read-only below like the standard ones.
local G = _G
local debug, error, type, select, rawget, rawset, setmetatable, tostring, xpcall, pcall =
  debug, error, type, select, rawget, rawset, setmetatable, tostring, xpcall, pcall
local format, concat = string.format, table.concat
local setfenv, unpack = setfenv, unpack
local ks_hook, ks_call, ks_pcall, ks_sha1hex, ks_log = __ks_hook, __ks_call, __ks_pcall, __ks_sha1hex, __ks_log
G.__ks_call, G.__ks_pcall, G.__ks_hook, G.__ks_sha1hex, G.__ks_log = nil, nil, nil, nil, nil

local redis = {}
-- Java functions (C functions to Lua: a tail call keeps the script's frame, so errors name its line).
redis.call = ks_call
redis.pcall = ks_pcall
redis.sha1hex = ks_sha1hex
redis.error_reply = function(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then
    return {err = 'ERR wrong number or type of arguments'}
  end
  if s:sub(1, 1) == '-' then s = s:sub(2) end
  if not s:find(' ', 1, true) then s = 'ERR ' .. s end
  return {err = s}
end
redis.status_reply = function(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then
    return {err = 'ERR wrong number or type of arguments'}
  end
  return {ok = s}
end
redis.setresp = function(...)
  local n = select('#', ...)
  if n ~= 1 then error({err = 'ERR redis.setresp() requires one argument.'}) end
  local v = ...
  if v ~= 2 and v ~= 3 then error({err = 'ERR RESP version must be 2 or 3.'}) end
  rawset(G, '__ks_resp', v)
end
redis.set_repl = function(...)
  if select('#', ...) ~= 1 then error({err = 'ERR redis.set_repl() requires two arguments.'}) end
  local f = ...
  if type(f) ~= 'number' or f < 0 or f > 3 then
    error({err = 'ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.'})
  end
end
redis.replicate_commands = function() return true end
redis.breakpoint = function() return false end
redis.debug = function() end
redis.log = function(...)
  if select('#', ...) < 2 then error({err = 'ERR redis.log() requires two arguments or more.'}) end
  local level = ...
  if type(level) ~= 'number' then error({err = 'ERR First argument must be a number (log level).'}) end
  if level < 0 or level > 3 then error({err = 'ERR Invalid debug level.'}) end
  local parts = {}
  for i = 2, select('#', ...) do
    local v = select(i, ...)
    if type(v) == 'string' or type(v) == 'number' then parts[#parts + 1] = tostring(v) end
  end
  ks_log(level, concat(parts, " "))
end
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.REDIS_VERSION, redis.REDIS_VERSION_NUM = '7.0.15', 458767
G.redis = redis

-- pcall sees a redis error table as its text, as Redis's pcall does.
local function packed(...) return {n = select('#', ...), ...} end
G.pcall = function(f, ...)
  local r = packed(pcall(f, ...))
  if not r[1] and type(r[2]) == 'table' and type(rawget(r[2], 'err')) == 'string' then
    return false, rawget(r[2], 'err')
  end
  return unpack(r, 1, r.n)
end

-- Not in Redis's sandbox.
for _, name in ipairs({'print', 'dofile', 'loadfile', 'os', 'io', 'package', 'require', 'module', 'debug',
                       'getfenv', 'setfenv', 'newproxy'}) do
  G[name] = nil
end

-- The error a failed script replies: 7.0's "<msg> script: <name>, on @user_script:<line>."
local function where()
  for level = 2, 50 do
    local info = debug.getinfo(level, 'Sl')
    if not info then break end
    if info.source == '@user_script' or info.source == '@user_function' then
      return info.source, info.currentline
    end
  end
  return '@user_script', 0
end
local function handler(e)
  local source, line = where()
  local msg
  if type(e) == 'table' and type(rawget(e, 'err')) == 'string' then
    msg = rawget(e, 'err')
  else
    msg = 'ERR ' .. tostring(e)
  end
  return {err = msg, source = source, line = line}
end

-- Read-only tables: every library the scripts see, and the globals, behind proxies.
local function readonly(t)
  return setmetatable({}, {
    __index = t,
    __newindex = function() error('Attempt to modify a readonly table', 2) end,
    __metatable = false,
  })
end
for _, name in ipairs({'string', 'table', 'math', 'coroutine', 'redis', 'bit', 'cjson', 'cmsgpack', 'struct'}) do
  rawset(G, name, readonly(rawget(G, name)))
end
local env = setmetatable({}, {
  __index = function(_, k)
    local v = rawget(G, k)
    if v == nil then
      error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
    end
    return v
  end,
  __newindex = function() error('Attempt to modify a readonly table', 2) end,
  __metatable = false,
})
rawset(G, '_G', env)

-- The count hook: asks Java whether SCRIPT KILL came; once it has, every line raises, so a
-- pcall loop cannot swallow the kill.
local killed = {err = 'ERR Script killed by user with SCRIPT KILL...'}
local function onkill()
  local info = debug.getinfo(2, 'S')
  if info and (info.source == '@user_script' or info.source == '@user_function') then error(killed) end
end
local function hook()
  if ks_hook() then
    debug.sethook(onkill, 'l')
    error(killed)
  end
end

-- Runs a compiled script with KEYS and ARGV: (true, result) or (false, {err, source, line}).
local hook_every = 100000
return function(f, keys, args)
  rawset(G, 'KEYS', keys)
  rawset(G, 'ARGV', args)
  rawset(G, '__ks_resp', 2)
  setfenv(f, env)
  debug.sethook(hook, '', hook_every)
  local ok, r = xpcall(f, handler)
  debug.sethook()
  return ok, r
end
