using System.Diagnostics;

namespace Carmine.Server.Tests;

/// <summary>carmine-server as a replica (REPLICAOF) of a real redis-server or of another carmine-server.</summary>
public sealed class ReplicaTests
{
    static readonly string[] Debug = ["--enable-debug-command", "yes"];

    static void WaitUntil(Func<bool> condition, string what, int seconds = 20) => ServerInfo.WaitUntil(condition, what, seconds);

    static string Info(RespConnection c, string field) => ServerInfo.Field(c, "replication", field);

    static void WaitLinkUp(RespConnection replica) => WaitUntil(() => Info(replica, "master_link_status") == "up", "the link to the master");

    static void WaitInSync(RespConnection master, RespConnection replica) => ServerInfo.WaitInSync(master, replica);

    static string Digest(RespConnection c) => c.Call("DEBUG", "DIGEST").Text!;

    /// <summary>Makes <paramref name="replica"/> a replica of <paramref name="master"/> and waits for the link.</summary>
    static void Attach(RespConnection replica, TestServer master)
    {
        replica.Call("REPLICAOF", "127.0.0.1", master.Port.ToString());
        WaitLinkUp(replica);
    }

    /// <summary>Two Carmine servers with DEBUG enabled and a connection to each, all ended together.</summary>
    sealed class Pair : IDisposable
    {
        public readonly TestServer Master = new(Debug);
        public readonly TestServer Replica = new(Debug);
        public readonly RespConnection M;
        public readonly RespConnection R;

        public Pair()
        {
            M = Master.Connect();
            R = Replica.Connect();
        }

        public void Dispose()
        {
            M.Dispose();
            R.Dispose();
            Master.Dispose();
            Replica.Dispose();
        }
    }

    static void StreamedWrites(RespConnection m)
    {
        m.Call("SET", "replica:s", "streamed", "EX", "1000");
        m.Call("INCR", "replica:n");
        m.Call("RPUSH", "replica:l", "a", "b", "c");
        m.Call("LPOP", "replica:l");
        m.Call("HINCRBYFLOAT", "replica:h", "f", "1.5");
        m.Call("XADD", "replica:x", "*", "k", "v");
        m.Call("MULTI");
        m.Call("SADD", "replica:set", "m1");
        m.Call("ZADD", "replica:z", "2", "m");
        m.Call("EXEC");
        m.Call("SELECT", "3");
        m.Call("SET", "replica:db3", "x");
        m.Call("SELECT", "0");
        m.Call("DEL", "rdb:str");
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("no")]
    public void FollowsARealRedisMasterThroughFullSyncAndStream(string diskless)
    {
        using var master = new RealRedis(null, "--repl-diskless-sync", diskless, "--repl-diskless-sync-delay", "0");
        using var replica = new TestServer(Debug);
        using var m = master.Connect();
        using var r = replica.Connect();
        RdbTests.Populate(m);
        m.Call("FUNCTION", "LOAD", "#!lua name=replicalib\nredis.register_function{function_name='replicaf', callback=function() return 1 end, flags={'no-writes'}}");
        Assert.Equal("OK", r.Call("REPLICAOF", "127.0.0.1", master.Port.ToString()).Text);
        WaitLinkUp(r);
        WaitInSync(m, r);
        Assert.Equal(Digest(m), Digest(r));
        Assert.Equal("1", r.Call("FCALL", "replicaf", "0").ToString());
        StreamedWrites(m);
        WaitInSync(m, r);
        Assert.Equal(Digest(m), Digest(r));
        Assert.Equal("slave", r.Call("ROLE").Items![0].Text);
    }

    [Fact]
    public void FollowsACarmineMaster()
    {
        using var pair = new Pair();
        var (m, r) = (pair.M, pair.R);
        RdbTests.Populate(m);
        Attach(r, pair.Master);
        StreamedWrites(m);
        WaitInSync(m, r);
        Assert.Equal(Digest(m), Digest(r));
        Assert.Equal("streamed", r.Call("GET", "replica:s").Text);
    }

    [Fact]
    public void WritesToAReplicaAreRefusedAndReadsServed()
    {
        using var pair = new Pair();
        var (m, r) = (pair.M, pair.R);
        m.Call("SET", "replica:k", "v");
        Attach(r, pair.Master);
        WaitInSync(m, r);
        Assert.Equal("READONLY You can't write against a read only replica.", r.Call("SET", "replica:k", "w").Text);
        Assert.Equal("v", r.Call("GET", "replica:k").Text);
        Assert.Equal("OK Already connected to specified master", r.Call("REPLICAOF", "127.0.0.1", pair.Master.Port.ToString()).Text);
        Assert.Equal("ERR Invalid master port", r.Call("REPLICAOF", "127.0.0.1", "70000").Text);
    }

    [Fact]
    public void RoleAndInfoDescribeTheReplica()
    {
        using var pair = new Pair();
        var (m, r) = (pair.M, pair.R);
        Attach(r, pair.Master);
        m.Call("SET", "replica:k", "v");
        WaitInSync(m, r);
        var role = r.Call("ROLE").Items!;
        Assert.Equal(["slave", "127.0.0.1", pair.Master.Port.ToString(), "connected", Info(m, "master_repl_offset")], role.Select(x => x.ToString()));
        Assert.Equal("slave", Info(r, "role"));
        Assert.Equal(pair.Master.Port.ToString(), Info(r, "master_port"));
        Assert.Equal("0", Info(r, "master_sync_in_progress"));
        Assert.Equal("1", Info(r, "slave_read_only"));
        Assert.Equal(Info(m, "master_replid"), Info(r, "master_replid"));
    }

    [Fact]
    public void ReplicaOfNoOnePromotesKeepingTheData()
    {
        using var pair = new Pair();
        var (m, r) = (pair.M, pair.R);
        m.Call("SET", "replica:k", "v");
        Attach(r, pair.Master);
        WaitInSync(m, r);
        string masterId = Info(m, "master_replid");
        Assert.Equal("OK", r.Call("REPLICAOF", "NO", "ONE").Text);
        Assert.Equal("master", Info(r, "role"));
        Assert.Equal(masterId, Info(r, "master_replid2"));
        Assert.NotEqual(masterId, Info(r, "master_replid"));
        Assert.Equal("v", r.Call("GET", "replica:k").Text);
        Assert.Equal("OK", r.Call("SET", "replica:k", "w").Text);
        m.Call("SET", "replica:k", "from-old-master");
        Thread.Sleep(200);
        Assert.Equal("w", r.Call("GET", "replica:k").Text);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ADroppedLinkContinuesWithAPartialResync(bool killOnReplica)
    {
        using var pair = new Pair();
        var (m, r) = (pair.M, pair.R);
        m.Call("SET", "replica:before", "1");
        Attach(r, pair.Master);
        WaitInSync(m, r);
        if (killOnReplica) Assert.Equal(1, r.Int("CLIENT", "KILL", "TYPE", "master"));
        else Assert.Equal(1, m.Int("CLIENT", "KILL", "TYPE", "replica"));
        m.Call("SET", "replica:after", "2");
        WaitUntil(() => m.Call("INFO", "stats").Text!.Contains("sync_partial_ok:1"), "a partial resync");
        WaitInSync(m, r);
        Assert.Equal("2", r.Call("GET", "replica:after").Text);
        Assert.Contains("sync_full:1\r\n", m.Call("INFO", "stats").Text!);
        Assert.Equal(Digest(m), Digest(r));
    }

    [Fact]
    public void TheReplicaofDirectiveStartsReplicationAtStartUp()
    {
        using var master = new TestServer(Debug);
        using var m = master.Connect();
        m.Call("SET", "replica:k", "v");
        using var replica = new TestServer("--enable-debug-command", "yes", "--replicaof", "127.0.0.1", master.Port.ToString());
        using var r = replica.Connect();
        WaitLinkUp(r);
        WaitInSync(m, r);
        Assert.Equal("v", r.Call("GET", "replica:k").Text);
    }

    [Fact]
    public void WaitCountsTheReplicasThatAcknowledgedTheWrites()
    {
        using var pair = new Pair();
        var (m, r) = (pair.M, pair.R);
        Attach(r, pair.Master);
        m.Call("SET", "replica:k", "v");
        Assert.Equal(1, m.Int("WAIT", "1", "5000"));
        var watch = Stopwatch.StartNew();
        Assert.Equal(1, m.Int("WAIT", "2", "300"));
        Assert.InRange(watch.ElapsedMilliseconds, 250, 5000);
        Assert.StartsWith("ERR WAIT cannot be used with replica instances.", r.Call("WAIT", "1", "0").Text);
    }

    [Fact]
    public void ClientsBlockedOnAMasterTurningReplicaAreDisconnected()
    {
        using var master = new TestServer(Debug);
        using var replica = new TestServer(Debug);
        using var r = replica.Connect();
        using var blocked = replica.Connect();
        blocked.SendRaw("*3\r\n$5\r\nBLPOP\r\n$15\r\nreplica:blocked\r\n$1\r\n0\r\n");
        WaitUntil(() => r.Call("INFO", "clients").Text!.Contains("blocked_clients:1\r\n"), "the client to block");
        r.Call("REPLICAOF", "127.0.0.1", master.Port.ToString());
        Assert.Equal("UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)", blocked.Read().Text);
        Assert.True(blocked.IsClosedByServer());
    }
}
