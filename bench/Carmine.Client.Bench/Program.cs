using System.Diagnostics;
using System.Globalization;
using Carmine.Client;
using Carmine.TestSupport;

// Throughput of one multiplexed connection: N concurrent callers doing SET, then GET, against one server,
// followed by redis-benchmark's figure for the same server, ops and concurrency. It prints and asserts nothing.
//   dotnet run -c Release --project bench/Carmine.Client.Bench -- [--port P | --server redis|carmine] [--ops N] [--clients C]
var settings = new Dictionary<string, string> { ["--server"] = "redis", ["--ops"] = "200000", ["--clients"] = "100" };
for (int i = 0; i + 1 < args.Length; i += 2) settings[args[i]] = args[i + 1];
int ops = int.Parse(settings["--ops"], CultureInfo.InvariantCulture);
int clients = int.Parse(settings["--clients"], CultureInfo.InvariantCulture);

ServerProcess? started = null;
int port;
if (settings.TryGetValue("--port", out var p))
{
    port = int.Parse(p, CultureInfo.InvariantCulture);
}
else
{
    port = ServerProcess.FreePort();
    string binary = settings["--server"] == "carmine" ? ServerProcess.BuiltBinary("Carmine.Server", "carmine-server") : "/usr/bin/redis-server";
    started = new ServerProcess(binary, ["--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", ""],
        port, Directory.CreateTempSubdirectory("carmine-bench-").FullName);
}

try
{
    await using var client = await RedisClient.ConnectAsync($"redis://127.0.0.1:{port}");
    Console.WriteLine($"server 127.0.0.1:{port}, {ops} ops per test, {clients} concurrent callers on one connection, {Environment.ProcessorCount} cores");
    // A short first round so the JIT has compiled the hot path before anything is measured.
    await Run(client, "SET", Math.Min(ops, 20000), clients, quiet: true);
    await Run(client, "SET", ops, clients, quiet: false);
    await Run(client, "GET", ops, clients, quiet: false);
    RedisBenchmark(port, ops, clients);
}
finally
{
    started?.Dispose();
}

static async Task Run(RedisClient client, string command, int ops, int clients, bool quiet)
{
    int next = 0;
    var clock = Stopwatch.StartNew();
    var callers = Enumerable.Range(0, clients).Select(async _ =>
    {
        while (Interlocked.Increment(ref next) <= ops)
        {
            if (command == "SET") await client.SetAsync("key:__rand_int__", "xxx");
            else await client.GetAsync("key:__rand_int__");
        }
    });
    await Task.WhenAll(callers);
    clock.Stop();
    if (!quiet) Console.WriteLine($"Carmine.Client {command}: {ops / clock.Elapsed.TotalSeconds:F2} requests per second");
}

static void RedisBenchmark(int port, int ops, int clients)
{
    var psi = new ProcessStartInfo("redis-benchmark") { RedirectStandardOutput = true };
    foreach (var a in new[] { "-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-t", "get,set", "-n", ops.ToString(CultureInfo.InvariantCulture), "-c", clients.ToString(CultureInfo.InvariantCulture), "-q" })
        psi.ArgumentList.Add(a);
    using var process = Process.Start(psi)!;
    string output = process.StandardOutput.ReadToEnd();
    process.WaitForExit();
    // -q rewrites a progress line with \r; the last piece of each line is the result.
    foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        Console.WriteLine("redis-benchmark " + line.Split('\r')[^1].Trim());
}
