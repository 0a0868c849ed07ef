using System.Net.Sockets;
using System.Text;

namespace Carmine.Server.Tests;

public sealed class ListTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    readonly RespConnection r = fixture.Server.Connect();

    string Range(string key) => r.Str("LRANGE", key, "0", "-1");

    [Fact]
    public void VariadicPushesKeepTheirOrder()
    {
        Assert.Equal(4, r.Int("LPUSH", "list:v", "a", "b", "c", "d"));
        Assert.Equal(8, r.Int("RPUSH", "list:v", "0", "1", "2", "3"));
        Assert.Equal("[d, c, b, a, 0, 1, 2, 3]", Range("list:v"));
    }

    [Fact]
    public void PushXOnlyPushesToAnExistingList()
    {
        Assert.Equal(0, r.Int("LPUSHX", "list:x", "a"));
        r.Call("RPUSH", "list:x", "b");
        Assert.Equal(3, r.Int("RPUSHX", "list:x", "c", "d"));
        Assert.Equal(4, r.Int("LPUSHX", "list:x", "a"));
        Assert.Equal("[a, b, c, d]", Range("list:x"));
    }

    [Fact]
    public void PopWithCountReturnsElementsInPopOrder()
    {
        r.Call("LPUSH", "list:count", "aa", "bb", "cc", "dd", "ee", "ff", "gg");
        Assert.Equal("[gg]", r.Str("LPOP", "list:count", "1"));
        Assert.Equal("[ff, ee]", r.Str("LPOP", "list:count", "2"));
        Assert.Equal("[aa, bb]", r.Str("RPOP", "list:count", "2"));
        Assert.Equal("[cc, dd]", r.Str("RPOP", "list:count", "123"));
        Assert.Equal(0, r.Int("LLEN", "list:count"));
    }

    [Fact]
    public void PopCountErrors()
    {
        Assert.Equal("ERR value is out of range, must be positive", r.Str("LPOP", "list:err", "-123"));
        Assert.Equal("ERR wrong number of arguments for 'rpop' command", r.Str("RPOP", "list:err", "1", "1"));
    }

    [Fact]
    public void PopOfAMissingKeyIsANullBulkOrANullArrayInResp2()
    {
        using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 5000 };
        raw.Connect("127.0.0.1", fixture.Server.Port);
        raw.Send("*2\r\n$4\r\nLPOP\r\n$9\r\nlist:none\r\n*3\r\n$4\r\nRPOP\r\n$9\r\nlist:none\r\n$1\r\n1\r\n"u8);
        var received = new StringBuilder();
        var buf = new byte[64];
        while (received.Length < 10) received.Append(Encoding.ASCII.GetString(buf, 0, raw.Receive(buf)));
        Assert.Equal("$-1\r\n*-1\r\n", received.ToString());
    }

    [Fact]
    public void PopWithCountZeroIsAnEmptyArray()
    {
        r.Call("RPUSH", "list:zero", "a");
        Assert.Equal("[]", r.Str("LPOP", "list:zero", "0"));
        Assert.Equal(1, r.Int("LLEN", "list:zero"));
    }

    [Fact]
    public void IndexCountsFromBothEnds()
    {
        r.Call("RPUSH", "list:idx", "a", "b", "c");
        Assert.Equal("a", r.Str("LINDEX", "list:idx", "0"));
        Assert.Equal("c", r.Str("LINDEX", "list:idx", "-1"));
        Assert.True(r.Call("LINDEX", "list:idx", "3").IsNull);
        Assert.True(r.Call("LINDEX", "list:idx", "-4").IsNull);
    }

    [Fact]
    public void SetReplacesAnElementAndRefusesOutOfRange()
    {
        r.Call("RPUSH", "list:set", "a", "b", "c");
        Assert.Equal("OK", r.Str("LSET", "list:set", "-2", "a much longer value than before"));
        Assert.Equal("[a, a much longer value than before, c]", Range("list:set"));
        Assert.Equal("ERR index out of range", r.Str("LSET", "list:set", "10", "x"));
        Assert.Equal("ERR no such key", r.Str("LSET", "list:set-missing", "0", "x"));
    }

    [Fact]
    public void InsertGoesNextToTheFirstPivot()
    {
        r.Call("RPUSH", "list:ins", "a", "c", "c");
        Assert.Equal(4, r.Int("LINSERT", "list:ins", "BEFORE", "c", "b"));
        Assert.Equal(5, r.Int("LINSERT", "list:ins", "after", "c", "d"));
        Assert.Equal("[a, b, c, d, c]", Range("list:ins"));
        Assert.Equal(-1, r.Int("LINSERT", "list:ins", "after", "zz", "d"));
        Assert.Equal(0, r.Int("LINSERT", "list:ins-missing", "after", "a", "b"));
        Assert.Equal("ERR syntax error", r.Str("LINSERT", "list:ins", "middle", "a", "b"));
    }

    [Fact]
    public void RemCountsFromTheTailWhenNegative()
    {
        r.Call("RPUSH", "list:rem", "x", "a", "x", "b", "x", "c");
        Assert.Equal(2, r.Int("LREM", "list:rem", "-2", "x"));
        Assert.Equal("[x, a, b, c]", Range("list:rem"));
        Assert.Equal(1, r.Int("LREM", "list:rem", "0", "x"));
        Assert.Equal("[a, b, c]", Range("list:rem"));
    }

    [Fact]
    public void TrimToAnEmptyRangeDeletesTheKey()
    {
        r.Call("RPUSH", "list:trim", "1", "2", "3", "4", "5");
        Assert.Equal("OK", r.Str("LTRIM", "list:trim", "1", "-2"));
        Assert.Equal("[2, 3, 4]", Range("list:trim"));
        Assert.Equal("OK", r.Str("LTRIM", "list:trim", "5", "10"));
        Assert.Equal(0, r.Int("LPUSHX", "list:trim", "x"));
    }

    [Fact]
    public void RangeClipsOutOfRangeIndexes()
    {
        r.Call("RPUSH", "list:range", "1", "2", "3");
        Assert.Equal("[1, 2, 3]", r.Str("LRANGE", "list:range", "-100", "100"));
        Assert.Equal("[]", r.Str("LRANGE", "list:range", "2", "1"));
        Assert.Equal("[3]", r.Str("LRANGE", "list:range", "-1", "-1"));
        Assert.Equal("[]", r.Str("LRANGE", "list:range-missing", "0", "-1"));
    }

    [Fact]
    public void PosHonoursRankCountAndMaxLen()
    {
        r.Call("RPUSH", "list:pos", "a", "b", "c", "1", "2", "3", "c", "c");
        Assert.Equal(2, r.Int("LPOS", "list:pos", "c"));
        Assert.Equal(7, r.Int("LPOS", "list:pos", "c", "RANK", "-1"));
        Assert.Equal("[2, 6, 7]", r.Str("LPOS", "list:pos", "c", "COUNT", "0"));
        Assert.Equal("[7, 6]", r.Str("LPOS", "list:pos", "c", "COUNT", "2", "RANK", "-1"));
        Assert.Equal("[2]", r.Str("LPOS", "list:pos", "c", "COUNT", "0", "MAXLEN", "3"));
        Assert.True(r.Call("LPOS", "list:pos", "x").IsNull);
        Assert.StartsWith("ERR RANK can't be zero", r.Str("LPOS", "list:pos", "c", "RANK", "0"));
    }

    [Fact]
    public void MoveBetweenListsAndWithinOne()
    {
        r.Call("RPUSH", "list:src{t}", "a", "b", "c");
        Assert.Equal("c", r.Str("RPOPLPUSH", "list:src{t}", "list:dst{t}"));
        Assert.Equal("a", r.Str("LMOVE", "list:src{t}", "list:dst{t}", "LEFT", "RIGHT"));
        Assert.Equal("[c, a]", Range("list:dst{t}"));
        Assert.Equal("c", r.Str("LMOVE", "list:dst{t}", "list:dst{t}", "LEFT", "RIGHT"));
        Assert.Equal("[a, c]", Range("list:dst{t}"));
        Assert.True(r.Call("LMOVE", "list:none{t}", "list:dst{t}", "LEFT", "RIGHT").IsNull);
    }

    [Fact]
    public void MPopTakesTheFirstNonEmptyList()
    {
        r.Call("RPUSH", "list:mp2{t}", "a", "b", "c");
        Assert.Equal("[list:mp2{t}, [c, b]]", r.Str("LMPOP", "2", "list:mp1{t}", "list:mp2{t}", "RIGHT", "COUNT", "2"));
        Assert.True(r.Call("LMPOP", "1", "list:mp1{t}", "LEFT").IsNull);
        Assert.Equal("ERR numkeys should be greater than 0", r.Str("LMPOP", "0", "list:mp1{t}", "LEFT"));
        Assert.Equal("ERR count should be greater than 0", r.Str("LMPOP", "1", "list:mp1{t}", "LEFT", "COUNT", "0"));
        Assert.Equal("ERR syntax error", r.Str("LMPOP", "1", "list:mp1{t}", "LEFT", "COUNT", "1", "COUNT", "2"));
    }

    [Fact]
    public void ListCommandsRefuseOtherTypes()
    {
        r.Call("SET", "list:str", "x");
        Assert.StartsWith("WRONGTYPE", r.Str("LPUSH", "list:str", "a"));
        Assert.StartsWith("WRONGTYPE", r.Str("LLEN", "list:str"));
        Assert.StartsWith("WRONGTYPE", r.Str("BLPOP", "list:str", "0"));
    }

    [Fact]
    public void LongListMatchesAModelAcrossManyNodes()
    {
        // Entries up to 3 KB at the default 8 KB node size, then a server with 3 entries per node.
        CheckAgainstModel(r, "list:model", seed: 1);
        using var small = new TestServer("--list-max-listpack-size", "3");
        using var s = small.Connect();
        CheckAgainstModel(s, "list:model", seed: 2);
    }

    [Fact]
    public void CompressedListMatchesAModel()
    {
        // All nodes but the first and the last are LZF-compressed between commands.
        using var server = new TestServer("--list-compress-depth", "1", "--list-max-listpack-size", "-1");
        using var s = server.Connect();
        CheckAgainstModel(s, "list:compressed", seed: 3);
    }

    static void CheckAgainstModel(RespConnection conn, string key, int seed)
    {
        var random = new Random(seed);
        var model = new List<string>();
        string Value() => new string((char)('a' + random.Next(26)), random.Next(10) == 0 ? random.Next(3000) : random.Next(1, 20));
        for (int i = 0; i < 3000; i++)
        {
            var v = Value();
            switch (random.Next(10))
            {
                case 0:
                    conn.Call("LPUSH", key, v);
                    model.Insert(0, v);
                    break;
                case 1 when model.Count > 0:
                    Assert.Equal(model[^1], conn.Str("RPOP", key));
                    model.RemoveAt(model.Count - 1);
                    break;
                case 2 when model.Count > 0:
                    int at = random.Next(model.Count);
                    conn.Call("LSET", key, at.ToString(), v);
                    model[at] = v;
                    break;
                case 3 when model.Count > 0:
                    var pivot = model[random.Next(model.Count)];
                    conn.Call("LINSERT", key, "BEFORE", pivot, v);
                    model.Insert(model.IndexOf(pivot), v);
                    break;
                case 4 when model.Count > 0:
                    int index = random.Next(model.Count);
                    Assert.Equal(model[index], conn.Str("LINDEX", key, (index - model.Count).ToString()));
                    break;
                case 5 when model.Count > 0:
                    var victim = model[random.Next(model.Count)];
                    Assert.Equal(1, conn.Int("LREM", key, "-1", victim));
                    model.RemoveAt(model.LastIndexOf(victim));
                    break;
                case 6 when model.Count > 2:
                    conn.Call("LPOP", key, "2");
                    model.RemoveRange(0, 2);
                    break;
                default:
                    conn.Call("RPUSH", key, v);
                    model.Add(v);
                    break;
            }
        }
        var all = conn.Call("LRANGE", key, "0", "-1").Items!.Select(i => i.Text!).ToList();
        Assert.Equal(model, all);
        Assert.Equal(model.Count, conn.Int("LLEN", key));
    }
}
