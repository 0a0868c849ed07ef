using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Carmine.Protocol;
using Carmine.TestSupport;

// Atomic units side by side: EVALSHA of a small script (through redis-benchmark) and MULTI/INCR/INCR/EXEC blocks
// (through this program's own pipelined driver), against redis-server and carmine-server started here, rounds
// alternating between the two. Each figure is the median of its rounds; ratio = carmine / redis. It asserts nothing.
//   dotnet run -c Release --project bench/Carmine.Bench.Atomic -- [--rounds 3] [--requests 200000] [--clients 50]
var settings = new Dictionary<string, string> { ["--rounds"] = "3", ["--requests"] = "200000", ["--clients"] = "50" };
for (int i = 0; i + 1 < args.Length; i += 2) settings[args[i]] = args[i + 1];
int rounds = int.Parse(settings["--rounds"], CultureInfo.InvariantCulture);
int requests = int.Parse(settings["--requests"], CultureInfo.InvariantCulture);
int clients = int.Parse(settings["--clients"], CultureInfo.InvariantCulture);

var servers = new[]
{
    ("redis", Start("/usr/bin/redis-server")),
    ("carmine", Start(ServerProcess.BuiltBinary("Carmine.Server", "carmine-server"))),
};
try
{
    const string Script = "return redis.call('incr', KEYS[1])";
    var shas = servers.Select(s => Call(s.Item2.Port, "SCRIPT", "LOAD", Script)).ToArray();
    Console.WriteLine($"{Environment.ProcessorCount} cores, {requests} requests per run ({requests * 5} pipelined), {clients} clients, {rounds} rounds, median");
    Console.WriteLine("| test | P | redis ops/s | carmine ops/s | ratio |");
    Console.WriteLine("|---|---|---|---|---|");
    foreach (int pipeline in new[] { 1, 16 })
    {
        int n = pipeline == 1 ? requests : requests * 5;
        Report("EVALSHA (INCR script)", pipeline, Measure(rounds, i => RedisBenchmark(servers[i].Item2.Port, n, clients, pipeline,
            ["evalsha", shas[i], "1", "key:__rand_int__"])));
        Report("MULTI/INCR/INCR/EXEC blocks", pipeline, Measure(rounds, i => Transactions(servers[i].Item2.Port, n / 4, clients, pipeline)));
    }
}
finally
{
    foreach (var (_, s) in servers) s.Dispose();
}

static ServerProcess Start(string binary)
{
    int port = ServerProcess.FreePort();
    return new ServerProcess(binary, ["--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        port, Directory.CreateTempSubdirectory("carmine-bench-").FullName);
}

// The median of each server's rounds; the server that goes first alternates.
static double[] Measure(int rounds, Func<int, double> run)
{
    var results = new List<double>[] { [], [] };
    for (int r = 0; r < rounds; r++)
        foreach (int i in r % 2 == 0 ? new[] { 0, 1 } : [1, 0])
            results[i].Add(run(i));
    return results.Select(l => l.Order().ElementAt(l.Count / 2)).ToArray();
}

static void Report(string test, int pipeline, double[] ops) =>
    Console.WriteLine($"| {test} | {pipeline} | {ops[0]:F0} | {ops[1]:F0} | {ops[1] / ops[0]:F2} |");

static string Call(int port, params string[] args)
{
    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    socket.Connect(IPAddress.Loopback, port);
    var request = new RespBuffer(256);
    request.ArrayHeader(args.Length);
    foreach (var a in args) request.Bulk(a);
    socket.Send(request.Written);
    var buffer = new byte[4096];
    int length = 0;
    while (true)
    {
        length += socket.Receive(buffer, length, buffer.Length - length, SocketFlags.None);
        if (RespReader.TryRead(buffer.AsSpan(0, length), out var reply, out _)) return reply.Text!;
    }
}

static double RedisBenchmark(int port, int n, int clients, int pipeline, string[] command)
{
    var psi = new ProcessStartInfo("redis-benchmark") { RedirectStandardOutput = true };
    foreach (var a in new[] { "-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-n", n.ToString(CultureInfo.InvariantCulture),
        "-c", clients.ToString(CultureInfo.InvariantCulture), "-P", pipeline.ToString(CultureInfo.InvariantCulture), "-r", "100000", "--csv" }.Concat(command))
        psi.ArgumentList.Add(a);
    using var process = Process.Start(psi)!;
    string output = process.StandardOutput.ReadToEnd();
    process.WaitForExit();
    var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Split(',');
    return double.Parse(last[1].Trim('"'), CultureInfo.InvariantCulture);
}

// Blocks per second: each connection sends `pipeline` blocks of MULTI, INCR k, INCR k, EXEC at once and reads their
// 4 x pipeline replies before sending more, until `blocks` blocks were done over all connections.
static double Transactions(int port, int blocks, int clients, int pipeline)
{
    int remaining = blocks;
    var clock = Stopwatch.StartNew();
    var workers = Enumerable.Range(0, clients).Select(c => Task.Run(() =>
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect(IPAddress.Loopback, port);
        var batch = new RespBuffer(1024);
        string key = "tx:" + c;
        for (int b = 0; b < pipeline; b++)
        {
            foreach (var command in new[] { new[] { "MULTI" }, ["INCR", key], ["INCR", key], ["EXEC"] })
            {
                batch.ArrayHeader(command.Length);
                foreach (var a in command) batch.Bulk(a);
            }
        }
        var buffer = new byte[64 * 1024];
        while (Interlocked.Add(ref remaining, -pipeline) > -pipeline)
        {
            socket.Send(batch.Written);
            int expected = pipeline * 4, length = 0;
            while (expected > 0)
            {
                length += socket.Receive(buffer, length, buffer.Length - length, SocketFlags.None);
                int at = 0;
                while (expected > 0 && RespReader.TryRead(buffer.AsSpan(at, length - at), out _, out int used))
                {
                    at += used;
                    expected--;
                }
                Buffer.BlockCopy(buffer, at, buffer, 0, length - at);
                length -= at;
            }
        }
    })).ToArray();
    Task.WaitAll(workers);
    return blocks / clock.Elapsed.TotalSeconds;
}
