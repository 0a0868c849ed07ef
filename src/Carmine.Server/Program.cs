using System.Runtime.InteropServices;
using System.Text;
using Carmine.Server;
using Carmine.Server.Config;

return Startup.Run(args);

/// <summary>carmine-server's entry: reads the configuration like redis-server, starts the server, waits for shutdown.</summary>
static class Startup
{
    public static int Run(string[] args)
    {
        if (args.Length > 0 && (args[0] is "-v" or "--version"))
        {
            Console.WriteLine($"Carmine server v={RedisServer.CarmineVersion} (Redis {RedisServer.RedisVersion} compatible) bits=64");
            return 0;
        }
        if (args.Length > 0 && (args[0] is "-h" or "--help"))
        {
            Console.WriteLine("Usage: carmine-server [/path/to/redis.conf] [options] [-]");
            Console.WriteLine("       carmine-server - (read config from stdin)");
            Console.WriteLine("       carmine-server -v or --version");
            Console.WriteLine("Examples: carmine-server --port 7777; carmine-server /etc/redis/6379.conf --loglevel verbose");
            return 0;
        }
        var config = new ServerConfig();
        Log.Role = 'C';
        try
        {
            ConfigLoader.Load(config, args);
        }
        catch (ConfigFileException e)
        {
            if (e.CannotOpen)
            {
                Log.Warning(e.Message);
                return 1;
            }
            Console.Error.WriteLine();
            Console.Error.WriteLine($"*** FATAL CONFIG FILE ERROR (Carmine {RedisServer.CarmineVersion}) ***");
            if (e.LineNumber > 0)
            {
                Console.Error.WriteLine($"Reading the configuration file, at line {e.LineNumber}");
                Console.Error.WriteLine($">>> '{e.Line}'");
            }
            Console.Error.WriteLine(e.Message);
            return 1;
        }
        Log.SetFile(config.GetString("logfile"));
        Log.Warning("oO0OoO0OoO0Oo Carmine is starting oO0OoO0OoO0Oo");
        Log.Warning($"Carmine version={RedisServer.CarmineVersion}, redis_version={RedisServer.RedisVersion}, bits=64, pid={Environment.ProcessId}, just started");
        Log.Warning(config.ConfigFile is null
            ? "Warning: no config file specified, using the default config. In order to specify a config file use carmine-server /path/to/redis.conf"
            : "Configuration loaded");
        Log.Role = 'M';
        RedisServer server;
        try
        {
            server = new RedisServer(config);
        }
        catch (ArgumentException e)
        {
            // A rename-command naming an unknown or existing command is a fatal config error, as in Redis.
            Log.Warning($"Fatal error in the configuration: rename-command: {e.Message}");
            return 1;
        }
        // Like Redis, the server listens while it loads, answering LOADING to commands that need the data; the
        // banner (with the PID that tools wait for before they connect) follows the listen and precedes the load.
        server.Loading = true;
        if (!server.Start()) return 1;
        PrintBanner(server);
        if (server.Config.GetBool("set-proc-title")) ProcTitle.Apply(server.Config);
        Log.Warning("Server initialized");
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            server.ShutdownOnSignal("SIGTERM");
        });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx =>
        {
            ctx.Cancel = true;
            server.ShutdownOnSignal("SIGINT");
        });
        // With appendonly yes the AOF is the dataset, as in Redis: dump.rdb is not read.
        if (server.Config.GetBool("appendonly"))
        {
            if (!server.Aof.LoadAtStartup()) return 1;
            // Redis opens the AOF (and writes a first base) before it serves anyone: a client that connected
            // meanwhile waits for it, here on the key locks, rather than getting LOADING once the data is loaded.
            server.Keyspace.LockAll();
            try
            {
                server.Loading = false;
                server.Aof.OpenAtStartup();
            }
            finally
            {
                server.Keyspace.UnlockAll();
            }
        }
        else if (!server.Aof.ReadManifestAtStartup() || !server.Rdb.LoadAtStartup()) return 1;
        server.Loading = false;
        Log.Notice("Ready to accept connections");
        server.WaitForShutdown();
        return server.ShutdownExitCode;
    }

    static void PrintBanner(RedisServer server)
    {
        bool show = server.Config.GetBool("always-show-logo") || !Console.IsOutputRedirected;
        if (!show)
        {
            Log.Notice($"Running mode=standalone, port={server.Config.GetInt("port")}.");
            return;
        }
        var sb = new StringBuilder();
        sb.AppendLine();
        sb.AppendLine($"    Carmine {RedisServer.CarmineVersion} (Redis {RedisServer.RedisVersion} compatible) 64 bit");
        sb.AppendLine("    Running in standalone mode");
        sb.AppendLine($"    Port: {server.Config.GetInt("port")}");
        sb.AppendLine($"    PID: {Environment.ProcessId}");
        Log.Raw(sb.ToString());
    }
}
