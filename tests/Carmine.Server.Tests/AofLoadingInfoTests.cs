using System.Globalization;
using System.Text;
using Carmine.TestSupport;

namespace Carmine.Server.Tests;

/// <summary>
/// INFO's loading_* fields while an AOF loads at start-up: the total is the size of every file the manifest names,
/// and the bytes read so far grow as the commands are replayed. A script in the AOF keeps the load busy meanwhile.
/// </summary>
public sealed class AofLoadingInfoTests
{
    static string Command(params string[] args)
    {
        var sb = new StringBuilder($"*{args.Length}\r\n");
        foreach (var a in args) sb.Append($"${Encoding.UTF8.GetByteCount(a)}\r\n{a}\r\n");
        return sb.ToString();
    }

    [Fact]
    public async Task LoadingAnAofReportsItsProgress()
    {
        string dir = Directory.CreateTempSubdirectory("carmine-aofinfo-").FullName;
        var aofDir = Directory.CreateDirectory(Path.Combine(dir, "appendonlydir")).FullName;
        var aof = new StringBuilder(Command("SELECT", "0"));
        for (int i = 0; i < 3000; i++) aof.Append(Command("SET", $"aofinfo:{i}", "v"));
        const string busy = "local t = redis.call('TIME') local start = t[1] * 1000000 + t[2] " +
            "repeat local n = redis.call('TIME') until n[1] * 1000000 + n[2] - start > 2000000";
        aof.Append(Command("EVAL", busy, "0"));
        aof.Append(Command("SET", "aofinfo:last", "v"));
        string incr = Path.Combine(aofDir, "appendonly.aof.1.incr.aof");
        File.WriteAllText(incr, aof.ToString());
        File.WriteAllText(Path.Combine(aofDir, "appendonly.aof.manifest"), "file appendonly.aof.1.incr.aof seq 1 type i\n");
        long total = new FileInfo(incr).Length;

        int port = ServerProcess.FreePort();
        // The server process removes its directory when disposed.
        var starting = Task.Run(() => new ServerProcess(TestServer.ServerPath,
            ["--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--dir", dir, "--appendonly", "yes"], port, dir));
        try
        {
            string? info = null;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (DateTime.UtcNow < deadline)
            {
                try
                {
                    using var c = new RespConnection(port);
                    info = c.Call("INFO", "persistence").Text;
                    if (info is not null && info.Contains("loading:1\r\n") && Field(info, "loading_loaded_bytes") > 0) break;
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
                {
                    // Not listening yet.
                }
                await Task.Delay(20);
            }
            Assert.NotNull(info);
            Assert.Contains("loading:1\r\n", info);
            Assert.Equal(total, Field(info, "loading_total_bytes"));
            Assert.InRange(Field(info, "loading_loaded_bytes"), 1, total - 1);
        }
        finally
        {
            using var server = await starting;
            using var c = new RespConnection(server.Port);
            Assert.Equal("v", c.Call("GET", "aofinfo:last").Text);
            Assert.DoesNotContain("loading_total_bytes", c.Call("INFO", "persistence").Text);
        }
    }

    static long Field(string info, string name)
    {
        foreach (var line in info.Split("\r\n"))
            if (line.StartsWith(name + ":", StringComparison.Ordinal)) return long.Parse(line[(name.Length + 1)..], CultureInfo.InvariantCulture);
        return -1;
    }
}
