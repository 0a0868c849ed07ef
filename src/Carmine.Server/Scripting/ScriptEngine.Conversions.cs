using Carmine.Protocol;
using Carmine.Server.Network;
using static Carmine.Server.Scripting.LuaApi;

namespace Carmine.Server.Scripting;

/// <summary>The conversions between Lua values and RESP replies that Redis documents for scripts, both ways.</summary>
public sealed unsafe partial class ScriptEngine
{
    /// <summary>The Lua value on top of the stack (popped) as a reply, by Redis's conversion rules.</summary>
    static void WriteReply(nint l, Client c, RespBuffer r, int scriptResp, int depth = 0)
    {
        if (depth > 1000 || lua_checkstack(l, 4) == 0)
        {
            c.Error("ERR reached lua stack limit");
            Pop(l, 1);
            return;
        }
        switch (lua_type(l, -1))
        {
            case TString:
                r.Bulk(ToBytes(l, -1));
                break;
            case TBoolean:
                bool b = lua_toboolean(l, -1) != 0;
                if (scriptResp == 2)
                {
                    if (b) r.Integer(1);
                    else r.Null();
                }
                else r.Boolean(b);
                break;
            case TNumber:
                r.Integer(DoubleToLong(lua_tonumber(l, -1)));
                break;
            case TTable:
                WriteTable(l, c, r, scriptResp, depth);
                break;
            default:
                r.Null();
                break;
        }
        Pop(l, 1);
    }

    /// <summary>C's (long long) cast of a lua_Number, which wraps to LLONG_MIN where C# would saturate.</summary>
    static long DoubleToLong(double d) => double.IsNaN(d) || d >= 9.2233720368547758E18 || d < -9.2233720368547758E18 ? long.MinValue : (long)d;

    static void WriteTable(nint l, Client c, RespBuffer r, int scriptResp, int depth)
    {
        if (RawField(l, -1, "err") == TString)
        {
            Pop(l, 1);
            string err = TableString(l, "err")!;
            c.Error(err.Replace('\r', ' ').Replace('\n', ' '));
            return;
        }
        Pop(l, 1);
        if (RawField(l, -1, "ok") == TString)
        {
            r.SimpleString(ErrorText(l).Replace('\r', ' ').Replace('\n', ' '));
            Pop(l, 1);
            return;
        }
        Pop(l, 1);
        if (RawField(l, -1, "double") == TNumber)
        {
            r.Double(lua_tonumber(l, -1));
            Pop(l, 1);
            return;
        }
        Pop(l, 1);
        if (RawField(l, -1, "big_number") == TString)
        {
            string big = ErrorText(l).Replace('\r', ' ').Replace('\n', ' ');
            if (r.Resp3) r.WriteRaw("(" + big + "\r\n");
            else r.Bulk(big);
            Pop(l, 1);
            return;
        }
        Pop(l, 1);
        if (RawField(l, -1, "verbatim_string") == TTable)
        {
            string? format = TableString(l, "format"), text = TableString(l, "string");
            if (format is not null && text is not null)
            {
                r.Verbatim(text, format);
                Pop(l, 1);
                return;
            }
        }
        Pop(l, 1);
        if (RawField(l, -1, "map") == TTable)
        {
            int at = r.BeginDeferred();
            long pairs = 0;
            lua_pushnil(l);
            while (lua_next(l, -2) != 0)
            {
                lua_pushvalue(l, -2);
                WriteReply(l, c, r, scriptResp, depth + 1);
                WriteReply(l, c, r, scriptResp, depth + 1);
                pairs++;
            }
            r.EndDeferredMap(at, pairs);
            Pop(l, 1);
            return;
        }
        Pop(l, 1);
        if (RawField(l, -1, "set") == TTable)
        {
            int at = r.BeginDeferred();
            long count = 0;
            lua_pushnil(l);
            while (lua_next(l, -2) != 0)
            {
                Pop(l, 1);
                lua_pushvalue(l, -1);
                WriteReply(l, c, r, scriptResp, depth + 1);
                count++;
            }
            r.EndDeferredSet(at, count);
            Pop(l, 1);
            return;
        }
        Pop(l, 1);
        int start = r.BeginDeferred();
        int n = 0;
        while (true)
        {
            lua_rawgeti(l, -1, n + 1);
            if (lua_type(l, -1) == TNil)
            {
                Pop(l, 1);
                break;
            }
            WriteReply(l, c, r, scriptResp, depth + 1);
            n++;
        }
        r.EndDeferredArray(start, n);
    }

    /// <summary>Pushes a parsed reply as Redis converts RESP to Lua.</summary>
    static void PushReply(nint l, RespValue v, int depth = 0)
    {
        if (depth > RespReader.MaxDepth || lua_checkstack(l, 4) == 0) throw new InvalidOperationException("lua stack limit reached when converting a reply");
        switch (v.Type)
        {
            case RespType.Integer:
                lua_pushnumber(l, v.Integer);
                break;
            case RespType.BulkString:
                PushBytes(l, v.Bytes);
                break;
            case RespType.Null:
                if (current?.running?.Resp == 3) lua_pushnil(l);
                else lua_pushboolean(l, 0);
                break;
            case RespType.SimpleString:
                lua_createtable(l, 0, 1);
                PushBytes(l, v.Bytes);
                SetRawField(l, -2, "ok");
                break;
            case RespType.Error or RespType.BulkError:
                lua_createtable(l, 0, 1);
                PushBytes(l, v.Bytes);
                SetRawField(l, -2, "err");
                break;
            case RespType.Boolean:
                lua_pushboolean(l, v.Integer != 0 ? 1 : 0);
                break;
            case RespType.Double:
                lua_createtable(l, 0, 1);
                NumberFormat.TryParseDouble(v.Bytes, out double d);
                lua_pushnumber(l, d);
                SetRawField(l, -2, "double");
                break;
            case RespType.BigNumber:
                lua_createtable(l, 0, 1);
                PushBytes(l, v.Bytes);
                SetRawField(l, -2, "big_number");
                break;
            case RespType.Verbatim:
                lua_createtable(l, 0, 1);
                lua_createtable(l, 0, 2);
                PushString(l, v.Format ?? "txt");
                SetRawField(l, -2, "format");
                PushBytes(l, v.Bytes);
                SetRawField(l, -2, "string");
                SetRawField(l, -2, "verbatim_string");
                break;
            case RespType.Map:
                lua_createtable(l, 0, 1);
                lua_createtable(l, 0, v.Items!.Length / 2);
                for (int i = 0; i + 1 < v.Items.Length; i += 2)
                {
                    PushReply(l, v.Items[i], depth + 1);
                    PushReply(l, v.Items[i + 1], depth + 1);
                    lua_rawset(l, -3);
                }
                SetRawField(l, -2, "map");
                break;
            case RespType.Set:
                lua_createtable(l, 0, 1);
                lua_createtable(l, 0, v.Items!.Length);
                foreach (var item in v.Items)
                {
                    PushReply(l, item, depth + 1);
                    lua_pushboolean(l, 1);
                    lua_rawset(l, -3);
                }
                SetRawField(l, -2, "set");
                break;
            default:
                lua_createtable(l, v.Items?.Length ?? 0, 0);
                for (int i = 0; i < (v.Items?.Length ?? 0); i++)
                {
                    PushReply(l, v.Items![i], depth + 1);
                    lua_rawseti(l, -2, i + 1);
                }
                break;
        }
    }
}
