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
local error_, type_, tostring_, select_, rawget_ = error, type, tostring, select, rawget
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
function redis.call(...)
  local reply, failed = native.command(...)
  if failed then error_(reply, 0) end
  return reply
end
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

local function busy_hook()
  if native.killed() then error_({err = 'ERR Script killed by user with SCRIPT KILL...'}, 0) end
end
sethook(busy_hook, '', 100000)

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

local loadstring_ = loadstring
local hidden = {}
for k, v in pairs(G) do hidden[k] = v end
hidden.redis = protect(redis)
for _, name in ipairs({'cjson', 'bit', 'string', 'math', 'table', 'coroutine'}) do
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
setmetatable_(G, {
  __index = function(_, k)
    local v = rawget_(hidden, k)
    if v == nil then error_("Script attempted to access nonexistent global variable '" .. tostring_(k) .. "'", 2) end
    return v
  end,
  __newindex = deny,
  __metatable = sealed_metatable(),
})
readonly[G] = true
return handler, hidden
""";
}
