namespace Carmine.Server.Scripting;

/// <summary>
/// The Lua code run once per interpreter to build Redis's script environment: the redis.* API around the
/// engine's C# functions, read-only library tables and globals (Redis patches Lua for that; here proxies with
/// protected metatables give the same errors), and the error handler that records where a script failed.
/// </summary>
static class ScriptSandbox
{
    public const string ChunkName = "@carmine_sandbox";

    public const string Source = """
local native, version, version_num = ...
local G = _G
local error_, type_, tostring_, select_, rawget_, pcall, pairs, ipairs = error, type, tostring, select, rawget, pcall, pairs, ipairs
local setmetatable_, rawset_, getinfo, sethook = setmetatable, rawset, debug.getinfo, debug.sethook
local concat = table.concat
local readonly = setmetatable_({}, {__mode = 'k'})
local ro_msg = 'Attempt to modify a readonly table'
local function deny() error_(ro_msg, 2) end
local function sealed_metatable()
  local view = setmetatable_({}, {__newindex = deny, __metatable = false})
  readonly[view] = true
  return view
end
local function protect(t)
  local proxy = setmetatable_({}, {__index = t, __newindex = deny, __metatable = sealed_metatable()})
  readonly[proxy] = true
  return proxy
end

local function nonexistent(_, k)
  error_("Script attempted to access nonexistent global variable '" .. tostring_(k) .. "'", 2)
end
-- A read-only view whose missing fields are errors, like Redis's tables with an error metatable.
local function protect_strict(t)
  local proxy = setmetatable_({}, {
    __index = function(p, k)
      local v = rawget_(t, k)
      if v == nil then return nonexistent(p, k) end
      return v
    end,
    __newindex = deny, __metatable = sealed_metatable()})
  readonly[proxy] = true
  return proxy
end

local function error_table(msg)
  local code, text = 'ERR', msg
  if msg:sub(1, 1) == '-' then
    local space = msg:find(' ', 1, true)
    if space then code, text = msg:sub(2, space - 1), msg:sub(space + 1) else text = msg:sub(2) end
  end
  text = text:gsub('^[\r\n]+', ''):gsub('[\r\n]+$', '')
  return {err = code .. ' ' .. text}
end
local function raise(msg) error_(error_table(msg), 0) end

local redis = {}
-- redis.call must be a C function: a Lua one would replace the script's frame in `return redis.call(...)`
-- (a tail call) and errors would lose their line. A coroutine.wrap function is C; its coroutine runs the
-- commands and dies only to raise an error, after putting a fresh one in its place.
local yield, wrap = coroutine.yield, coroutine.wrap
local renew_call
local function call_loop(...)
  local reply, failed = native.command(...)
  if failed then
    renew_call()
    error_(reply, 0)
  end
  return call_loop(yield(reply))
end
renew_call = function() redis.call = wrap(call_loop) end
renew_call()
function redis.pcall(...)
  return (native.command(...))
end
function redis.error_reply(e)
  if select_('#', e) ~= 1 or type_(e) ~= 'string' then return error_table('wrong number or type of arguments') end
  if e:sub(1, 1) ~= '-' then e = '-' .. e end
  return error_table(e)
end
function redis.status_reply(s)
  if type_(s) ~= 'string' then return error_table('wrong number or type of arguments') end
  return {ok = s}
end
function redis.sha1hex(...)
  if select_('#', ...) ~= 1 then raise('wrong number of arguments') end
  return native.sha1hex(tostring_((...)))
end
function redis.log(...)
  local n = select_('#', ...)
  if n < 2 then raise('redis.log() requires two arguments or more.') end
  local level = ...
  if type_(level) ~= 'number' then raise('First argument must be a number (log level).') end
  if level < 0 or level > 3 then raise('Invalid debug level.') end
  local parts = {}
  for i = 2, n do
    local v = select_(i, ...)
    if type_(v) == 'string' or type_(v) == 'number' then parts[#parts + 1] = tostring_(v) end
  end
  native.log(level, concat(parts, ' '))
end
function redis.setresp(...)
  if select_('#', ...) ~= 1 then raise('redis.setresp() requires one argument.') end
  local v = ...
  if v ~= 2 and v ~= 3 then raise('RESP version must be 2 or 3.') end
  native.setresp(v)
end
function redis.set_repl(...)
  if select_('#', ...) ~= 1 then raise('redis.set_repl() requires one argument.') end
  local v = ...
  if type_(v) ~= 'number' or v < 0 or v > 3 then raise('Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.') end
end
function redis.replicate_commands() return true end
function redis.breakpoint() return false end
function redis.debug() end
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.REDIS_VERSION, redis.REDIS_VERSION_NUM = version, version_num

-- FUNCTION LOAD: the functions a library registers while its code runs.
local registering
local flag_bits = {['no-writes'] = 1, ['allow-oom'] = 2, ['allow-stale'] = 4, ['no-cluster'] = 8, ['allow-cross-slot-keys'] = 16}
local function register(name, callback, flags, description)
  if type_(name) ~= 'string' or not name:find('^[%w_]+$') then
    raise('Library names can only contain letters, numbers, or underscores(_) and must be at least one character long')
  end
  if registering[name] then raise('Function already exists in the library') end
  registering[name] = {callback, flags, description}
end
local function register_function(...)
  if not registering then raise('redis.register_function can only be called on FUNCTION LOAD command') end
  local n = select_('#', ...)
  if n == 2 then
    local name, callback = ...
    if type_(name) ~= 'string' then raise('first argument to redis.register_function must be a string') end
    if type_(callback) ~= 'function' then raise('second argument to redis.register_function must be a function') end
    return register(name, callback, 0, nil)
  end
  if n ~= 1 then raise('wrong number of arguments to redis.register_function') end
  local args = ...
  if type_(args) ~= 'table' then
    raise('calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).')
  end
  local name, callback, flags, description = nil, nil, 0, nil
  for k, v in pairs(args) do
    if type_(k) ~= 'string' then raise('named argument key given to redis.register_function is not a string') end
    local key = k:lower()
    if key == 'function_name' then
      if type_(v) ~= 'string' then raise('function_name argument given to redis.register_function must be a string') end
      name = v
    elseif key == 'description' then
      if type_(v) ~= 'string' then raise('description argument given to redis.register_function must be a string') end
      description = v
    elseif key == 'callback' then
      if type_(v) ~= 'function' then raise('callback argument given to redis.register_function must be a function') end
      callback = v
    elseif key == 'flags' then
      if type_(v) ~= 'table' then raise('flags argument to redis.register_function must be a table representing function flags') end
      for _, f in ipairs(v) do
        local bit = flag_bits[f]
        if not bit then raise('unknown flag given') end
        if flags % (bit * 2) < bit then flags = flags + bit end
      end
    else
      raise('unknown argument given to redis.register_function')
    end
  end
  if not name then raise('redis.register_function must get a function name argument') end
  if not callback then raise('redis.register_function must get a callback argument') end
  return register(name, callback, flags, description)
end
-- While a library loads, its globals are only this: redis.register_function, redis.log and the constants.
local load_redis = {register_function = register_function, log = redis.log,
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REDIS_VERSION = version, REDIS_VERSION_NUM = version_num}
local load_globals = {redis = protect_strict(load_redis)}
local lookup
local function load_library(chunk)
  registering = {}
  local globals = lookup
  lookup = load_globals
  local ok, err = pcall(chunk)
  lookup = globals
  local registered = registering
  registering = nil
  if not ok then
    if type_(err) == 'table' then err = err.err end
    error_('Error registering functions: ' .. tostring_(err), 0)
  end
  return registered
end

local busy_hook
busy_hook = function()
  local stop = native.killed()
  if stop then
    renew_call()
    -- From now on every line fails, so that a pcall around the work cannot keep the script alive.
    sethook(busy_hook, 'l')
    error_({err = stop}, 0)
  end
end
sethook(busy_hook, '', 100000)
local function reset_hook() sethook(busy_hook, '', 100000) end

local function handler(err)
  local level = 2
  local info = getinfo(level, 'nSl')
  while info and (info.what == 'C' or info.source == '@carmine_sandbox') do
    level = level + 1
    info = getinfo(level, 'nSl')
  end
  if type_(err) ~= 'table' then err = {err = 'ERR ' .. tostring_(err)} end
  if info and info.what ~= 'tail' then
    err.source = info.source
    err.line = info.currentline
  end
  return err
end

-- struct and cmsgpack: C functions (coroutine.wrap, as redis.call) around native ones, which return true and their results
-- or false and an error. The wrapper raises a string error prefixed with the caller's line, as luaL_error does, and
-- being C it keeps the script's frame in `return struct.pack(...)`. A failed coroutine is replaced by a fresh one.
-- Each coroutine is made on first use, so that an interpreter that never packs keeps its memory small.
local makers = setmetatable_({}, {__mode = 'k'})
local function make_on_use(t, k)
  local make = makers[t][k]
  if make then
    make()
    return rawget_(t, k)
  end
end
local unpack_ = unpack
local function results(...) return {n = select_('#', ...), ...} end
local function raising(t, name, native_fn)
  -- The coroutine holds nothing while it waits: a call's arguments and results are only in flight, never in a
  -- suspended frame, so a large table packed or unpacked is not kept alive until the next call.
  local last, renew
  local function run(...) last = results(native_fn(...)) end
  local function take()
    local r = last
    last = nil
    if not r[1] then
      renew()
      error_(r[2], 0)
    end
    return unpack_(r, 2, r.n)
  end
  local function serve()
    while true do run(yield(take())) end
  end
  renew = function()
    rawset_(t, name, wrap(function(...)
      run(...)
      return serve()
    end))
  end
  if not makers[t] then
    makers[t] = {}
    setmetatable_(t, {__index = make_on_use})
  end
  makers[t][name] = renew
end
local struct = {}
raising(struct, 'pack', native.struct_pack)
raising(struct, 'unpack', native.struct_unpack)
raising(struct, 'size', native.struct_size)
G.struct = struct

local cmsgpack = {}
raising(cmsgpack, 'pack', native.msgpack_pack)
raising(cmsgpack, 'unpack', native.msgpack_unpack)
raising(cmsgpack, 'unpack_one', native.msgpack_unpack_one)
raising(cmsgpack, 'unpack_limit', native.msgpack_unpack_limit)
G.cmsgpack = cmsgpack

local loadstring_ = loadstring
local hidden = {}
lookup = hidden
for k, v in pairs(G) do hidden[k] = v end
hidden.redis = protect(redis)
for _, name in ipairs({'cjson', 'bit', 'cmsgpack', 'struct', 'string', 'math', 'table', 'coroutine'}) do
  if hidden[name] then hidden[name] = protect(hidden[name]) end
end
hidden.loadfile, hidden.dofile, hidden.print, hidden.debug = nil, nil, nil, nil
hidden.setmetatable = function(t, m)
  if readonly[t] then error_(ro_msg, 2) end
  return setmetatable_(t, m)
end
hidden.rawset = function(t, k, v)
  if readonly[t] then error_(ro_msg, 2) end
  return rawset_(t, k, v)
end
hidden.loadstring = function(s, name)
  if type_(s) == 'string' and s:byte(1) == 27 then return nil, 'binary chunks are not allowed' end
  return loadstring_(s, name)
end
hidden._G = G
for k in pairs(hidden) do G[k] = nil end
for _, k in ipairs({'loadfile', 'dofile', 'print', 'debug'}) do G[k] = nil end
setmetatable_(G, {
  __index = function(_, k)
    local v = rawget_(lookup, k)
    if v == nil then error_("Script attempted to access nonexistent global variable '" .. tostring_(k) .. "'", 2) end
    return v
  end,
  __newindex = deny,
  __metatable = sealed_metatable(),
})
readonly[G] = true
return handler, hidden, load_library, reset_hook
""";
}
