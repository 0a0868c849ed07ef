using System.Text.RegularExpressions;
using Carmine.Protocol;

namespace Carmine.Server.Tests;

public sealed class InfoTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    readonly RespConnection r = fixture.Server.Connect();

    /// <summary>The value of one "field:value" line of an INFO reply, or null.</summary>
    static string? Field(string info, string name)
    {
        var m = Regex.Match(info, "^" + Regex.Escape(name) + ":(.*)\r$", RegexOptions.Multiline);
        return m.Success ? m.Groups[1].Value : null;
    }

    static string[] SectionHeaders(string info) =>
        info.Split("\r\n").Where(l => l.StartsWith("# ", StringComparison.Ordinal)).ToArray();

    [Fact]
    public void DefaultSectionsInRedisOrder()
    {
        Assert.Equal(
            ["# Server", "# Clients", "# Memory", "# Persistence", "# Stats", "# Replication", "# CPU", "# Modules", "# Errorstats", "# Cluster", "# Keyspace"],
            SectionHeaders(r.Str("INFO")));
    }

    [Fact]
    public void EverythingAddsCommandstatsAndLatencystats()
    {
        Assert.Equal(
            ["# Server", "# Clients", "# Memory", "# Persistence", "# Stats", "# Replication", "# CPU", "# Modules", "# Commandstats", "# Errorstats", "# Latencystats", "# Cluster", "# Keyspace"],
            SectionHeaders(r.Str("INFO", "everything")));
    }

    [Fact]
    public void SectionNamesAreCaseInsensitive()
    {
        Assert.Equal(["# CPU", "# Commandstats"], SectionHeaders(r.Str("INFO", "commandSTATS", "Cpu")));
    }

    [Fact]
    public void SectionsAreSeparatedByOneEmptyLine()
    {
        string info = r.Str("INFO", "cpu", "cluster");
        Assert.Matches(new Regex("\\A# CPU\r\n(\\w+:[0-9.]+\r\n){6}\r\n# Cluster\r\ncluster_enabled:0\r\n\\z"), info);
    }

    [Fact]
    public void UnknownSectionIsEmpty()
    {
        Assert.Equal("", r.Str("INFO", "nosuchsection"));
    }

    [Fact]
    public void ServerSectionReportsVersionAndPort()
    {
        string info = r.Str("INFO", "server");
        Assert.Equal("7.0.15", Field(info, "redis_version"));
        Assert.Equal(fixture.Server.Port.ToString(), Field(info, "tcp_port"));
        Assert.Equal("standalone", Field(info, "redis_mode"));
        Assert.Equal("0.1.0", Field(info, "carmine_version"));
    }

    [Fact]
    public void MemorySectionHasHumanForms()
    {
        string info = r.Str("INFO", "memory");
        Assert.Matches(new Regex("^[0-9]+(B|\\.[0-9]{2}[KMGTP])$"), Field(info, "used_memory_human"));
        Assert.Equal("0B", Field(info, "maxmemory_human"));
        Assert.Equal("noeviction", Field(info, "maxmemory_policy"));
    }

    [Fact]
    public void ReplicationSectionIsAMasterWithoutReplicas()
    {
        string info = r.Str("INFO", "replication");
        Assert.Equal("master", Field(info, "role"));
        Assert.Equal("0", Field(info, "connected_slaves"));
        Assert.Matches(new Regex("^[0-9a-f]{40}$"), Field(info, "master_replid"));
    }

    [Fact]
    public void CommandstatsCountCallsOfSubcommands()
    {
        r.Call("CLIENT", "GETNAME");
        r.Call("CLIENT", "GETNAME");
        Assert.Matches(new Regex("^calls=2,usec=[0-9]+,usec_per_call=[0-9]+\\.[0-9]{2},rejected_calls=0,failed_calls=0$"),
            Field(r.Str("INFO", "commandstats"), "cmdstat_client|getname"));
    }

    [Fact]
    public void CommandstatsCountRejectedCalls()
    {
        Assert.Equal("ERR wrong number of arguments for 'time' command", r.Str("TIME", "now"));
        Assert.Matches(new Regex("^calls=0,.*,rejected_calls=1,failed_calls=0$"), Field(r.Str("INFO", "commandstats"), "cmdstat_time"));
    }

    [Fact]
    public void ErrorstatsCountByErrorCode()
    {
        r.Call("AUTH", "info-user", "wrong");
        r.Call("AUTH", "info-user", "wrong");
        Assert.Equal("count=2", Field(r.Str("INFO", "errorstats"), "errorstat_WRONGPASS"));
    }

    [Fact]
    public void KeyspaceListsNonEmptyDatabases()
    {
        r.Call("SELECT", "7");
        r.Call("SET", "info:k1", "v");
        r.Call("SET", "info:k2", "v", "EX", "1000");
        r.Call("SELECT", "0");
        var line = Field(r.Str("INFO", "keyspace"), "db7");
        Assert.Matches(new Regex("^keys=2,expires=1,avg_ttl=[0-9]+$"), line);
        long avgTtl = long.Parse(line!.Split("avg_ttl=")[1]);
        Assert.InRange(avgTtl, 990_000, 1_000_000);
    }

    [Fact]
    public void StatsCountConnectionsAndCommands()
    {
        string info = r.Str("INFO", "stats");
        Assert.True(long.Parse(Field(info, "total_connections_received")!) >= 1);
        Assert.True(long.Parse(Field(info, "total_commands_processed")!) >= 1);
        Assert.Equal("0", Field(info, "rejected_connections"));
    }

    [Fact]
    public void Resp3ReplyIsVerbatimText()
    {
        using var c3 = fixture.Server.Connect();
        c3.Call("HELLO", "3");
        var reply = c3.Call("INFO", "cluster");
        Assert.Equal(RespType.Verbatim, reply.Type);
        Assert.Equal("txt", reply.Format);
        Assert.Equal("# Cluster\r\ncluster_enabled:0\r\n", reply.Text);
    }
}
