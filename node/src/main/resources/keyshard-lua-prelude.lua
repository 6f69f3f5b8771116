-- Keyshard's Lua sandbox, run once in a fresh Lua 5.1 state (docs/research/2026-12-07-redis-7.0-lua-facts.md).
-- The Java side has set __ks_call / __ks_pcall (redis.call / redis.pcall) and __ks_hook, and
-- installed Redis's libraries (cjson, cmsgpack, bit, struct, math.random/randomseed) as globals,
-- which are sealed read-only below like the standard ones.
local G = _G
local debug, error, type, select, rawget, rawset, setmetatable, tostring, xpcall, pcall =
  debug, error, type, select, rawget, rawset, setmetatable, tostring, xpcall, pcall
local format, concat = string.format, table.concat
local setfenv, unpack = setfenv, unpack
local ks_hook, ks_call, ks_pcall, ks_sha1hex, ks_log, ks_acl = __ks_hook, __ks_call, __ks_pcall, __ks_sha1hex, __ks_log, __ks_acl
G.__ks_call, G.__ks_pcall, G.__ks_hook, G.__ks_sha1hex, G.__ks_log, G.__ks_acl = nil, nil, nil, nil, nil, nil

local redis = {}
-- Java functions (C functions to Lua: a tail call keeps the script's frame, so errors name its line).
redis.call = ks_call
redis.pcall = ks_pcall
redis.sha1hex = ks_sha1hex
redis.acl_check_cmd = ks_acl
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

-- Read-only tables: every library the scripts see, and the globals, behind proxies. Each proxy is
-- remembered, so that setmetatable and getmetatable treat it as Redis treats its read-only tables.
local protected = setmetatable({}, {__mode = 'k'})
local function readonly(t)
  local p = setmetatable({}, {
    __index = t,
    __newindex = function() error('Attempt to modify a readonly table', 2) end,
    __metatable = false,
  })
  protected[p] = true
  return p
end
local frozen = readonly({})
local raw_getmetatable, raw_loadstring = getmetatable, loadstring
G.setmetatable = function(t, mt)
  if protected[t] then error('Attempt to modify a readonly table', 2) end
  return setmetatable(t, mt)
end
G.getmetatable = function(t)
  if protected[t] then return frozen end
  return raw_getmetatable(t)
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
protected[env] = true
-- Code a script loads runs in the script's sandbox, and only as source: Redis's Lua refuses
-- binary chunks (string.dump's output), so loading one gives nil.
G.loadstring = function(s, name)
  if type(s) == 'string' and s:byte(1) == 27 then return nil, 'binary chunks are not accepted' end
  local f, err = raw_loadstring(s, name)
  if f then setfenv(f, env) end
  return f, err
end
local raw_load = load
G.load = function(ld, name)
  local f, err = raw_load(ld, name)
  if f then setfenv(f, env) end
  return f, err
end

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

-- Function libraries (FUNCTION LOAD, FCALL: docs/decisions/2026-12-07-functions.md). While a
-- library's code runs at load time it sees only a restricted redis table; its functions, called
-- later, see the ordinary sandbox. `loading` is the load in progress's list of registrations.
local loading
local function nonexistent(k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 3)
end
local known_flags = {['no-writes'] = true, ['allow-oom'] = true, ['allow-stale'] = true,
                     ['no-cluster'] = true, ['allow-cross-slot-keys'] = true}
local function register(...)
  if not loading then
    error({err = 'ERR redis.register_function can only be called on FUNCTION LOAD command'})
  end
  local n = select('#', ...)
  local name, callback, flags, description
  if n == 1 then
    local t = ...
    if type(t) ~= 'table' then
      error({err = 'ERR calling redis.register_function with a single argument is only applicable to Lua table '
                   .. '(representing named arguments).'})
    end
    for k, v in pairs(t) do
      if type(k) ~= 'string' then
        error({err = 'ERR named argument key given to redis.register_function is not a string'})
      end
      local lk = k:lower()
      if type(v) == 'number' and lk ~= 'flags' then v = tostring(v) end
      if lk == 'function_name' then
        if type(v) ~= 'string' then
          error({err = 'ERR function_name argument given to redis.register_function must be a string'})
        end
        name = v
      elseif lk == 'description' then
        if type(v) ~= 'string' then
          error({err = 'ERR description argument given to redis.register_function must be a string'})
        end
        description = v
      elseif lk == 'callback' then
        if type(v) ~= 'function' then
          error({err = 'ERR callback argument given to redis.register_function must be a function'})
        end
        callback = v
      elseif lk == 'flags' then
        if type(v) ~= 'table' then
          error({err = 'ERR flags argument to redis.register_function must be a table representing function flags'})
        end
        flags = v
      else
        error({err = 'ERR unknown argument given to redis.register_function'})
      end
    end
    if not name then error({err = 'ERR redis.register_function must get a function name argument'}) end
    if not callback then error({err = 'ERR redis.register_function must get a callback argument'}) end
  elseif n == 2 then
    name, callback = ...
    if type(name) == 'number' then name = tostring(name) end -- a number is a string to Lua's C API
    if type(name) ~= 'string' then
      error({err = 'ERR first argument to redis.register_function must be a string'})
    end
    if type(callback) ~= 'function' then
      error({err = 'ERR second argument to redis.register_function must be a function'})
    end
  else
    error({err = 'ERR wrong number of arguments to redis.register_function'})
  end
  if not name:match('^[%w_]+$') then
    error({err = 'ERR Library names can only contain letters, numbers, or underscores(_) and must be at least '
                 .. 'one character long'})
  end
  local names = {}
  for _, f in pairs(flags or {}) do
    if type(f) ~= 'string' or not known_flags[f:lower()] then error({err = 'ERR unknown flag given'}) end
    names[#names + 1] = f:lower()
  end
  for _, r in ipairs(loading) do
    if r.name == name then error({err = 'ERR Function already exists in the library'}) end
  end
  loading[#loading + 1] = {name = name, fn = callback, flags = names, description = description}
end
local load_api = {register_function = register, log = redis.log, LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2,
                  LOG_WARNING = 3, REDIS_VERSION = redis.REDIS_VERSION, REDIS_VERSION_NUM = redis.REDIS_VERSION_NUM}
local load_redis = setmetatable({}, {
  __index = function(_, k)
    local v = load_api[k]
    if v == nil then nonexistent(k) end
    return v
  end,
  __newindex = function() error('Attempt to modify a readonly table', 2) end,
  __metatable = false,
})
local function library_env()
  local lib_env
  lib_env = setmetatable({}, {
    __index = function(_, k)
      local v
      if loading then
        if k == 'redis' then v = load_redis end
      else
        v = rawget(G, k)
      end
      if v == nil then nonexistent(k) end
      return v
    end,
    __newindex = function() error('Attempt to modify a readonly table', 2) end,
    __metatable = false,
  })
  protected[lib_env] = true
  return lib_env
end
protected[load_redis] = true
rawset(G, '__ks_fn_load', function(chunk)
  setfenv(chunk, library_env())
  loading = {}
  debug.sethook(hook, '', 100000) -- the load run's time limit (and a kill) is checked here
  local ok, r = xpcall(chunk, handler)
  debug.sethook()
  local registered = loading
  loading = nil
  if not ok then return false, r end
  return true, registered
end)

-- Runs a compiled script with KEYS and ARGV: (true, result) or (false, {err, source, line}).
local hook_every = 100000
rawset(G, '__ks_fn_call', function(fn, keys, args)
  rawset(G, '__ks_resp', 2)
  debug.sethook(hook, '', hook_every)
  local ok, r = xpcall(function() return fn(keys, args) end, handler)
  debug.sethook()
  return ok, r
end)

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
