using System.Text;

namespace Carmine.Cli;

/// <summary>carmine-cli: a drop-in redis-cli (same flags, same output, same prompts).</summary>
public static class Program
{
    /// <summary>The Redis version whose redis-cli this one mirrors.</summary>
    public const string Version = "7.0.15";

    public static int Main(string[] args)
    {
        // FAKETTY makes redis-cli format for a terminal when stdout is a pipe (its own tests use it).
        bool stdoutTty = !Console.IsOutputRedirected || Environment.GetEnvironmentVariable("FAKETTY") is not null;
        CliOptions options;
        try
        {
            options = CliOptions.Parse(args, stdoutTty);
        }
        catch (CliUsageException e)
        {
            Console.Error.Write(e.Message + "\n");
            return 1;
        }
        foreach (var w in options.Warnings) Console.Error.Write(w + "\n");
        if (options.ShowHelp)
        {
            Console.Out.Write(Usage);
            return 0;
        }
        if (options.ShowVersion)
        {
            Console.Out.Write($"carmine-cli {Version}\n");
            return 0;
        }
        if (options.WarnsAboutPassword) Console.Error.Write(CliOptions.PasswordWarning + "\n");
        // Scripts keep the password out of the command line with REDISCLI_AUTH, or type it with --askpass.
        options.Password ??= Environment.GetEnvironmentVariable("REDISCLI_AUTH");
        if (options.AskPass) options.Password = AskPass.Read("Please input password: ");
        if (options.ClusterManager?.Command is not null) return Cluster.ClusterManager.Run(options);
        using var stdout = Console.OpenStandardOutput();
        using var session = new CliSession(options, stdout) { PushOutput = options.ShowPushes ?? stdoutTty };
        try
        {
            return Run(session);
        }
        catch (UnknownReplyTypeException e)
        {
            Console.Error.Write(e.Message + "\n");
            return 1;
        }
    }

    static int Run(CliSession session)
    {
        var o = session.Options;
        if (o.Latency || o.LatencyDist || o.Replica || o.RdbFile is not null || o.Pipe || o.BigKeys || o.MemKeys || o.HotKeys || o.Scan || o.Stat)
        {
            if (!session.Connect()) return 1;
            if (o.Latency) return LatencyMode.Run(session);
            if (o.LatencyDist) return LatencyDistMode.Run(session);
            if (o.Replica) return ReplicaMode.Run(session);
            if (o.RdbFile is not null) return RdbMode.Run(session);
            if (o.Pipe) return PipeMode.Run(session);
            if (o.BigKeys) return BigKeysMode.Run(session, memkeys: false);
            if (o.MemKeys) return BigKeysMode.Run(session, memkeys: true);
            if (o.HotKeys) return HotKeysMode.Run(session);
            if (o.Stat) return StatMode.Run(session);
            return ScanMode.Run(session);
        }
        if (o.Command.Count == 0 && o.Eval is null)
        {
            session.Connect();
            return Repl.Run(session);
        }
        if (o.Eval is not null)
        {
            if (!session.Connect()) return 1;
            return Eval(session);
        }
        session.Connect(quiet: true);
        var argv = new List<byte[]>();
        foreach (var a in o.Command)
        {
            // --quoted-input: each argument is one string in the interactive quoting ("\x00" and the like).
            var unquoted = o.QuotedInput ? ArgSplitter.Split(a) : [Encoding.UTF8.GetBytes(a)];
            if (unquoted is not { Count: 1 })
            {
                session.WriteOut("Invalid quoted string\n");
                return 1;
            }
            argv.Add(unquoted[0]);
        }
        if (o.StdinLastArg) argv.Add(ReadAllStdin());
        else if (o.StdinTag is not null)
        {
            int at = o.Command.IndexOf(o.StdinTag);
            if (at < 0)
            {
                Console.Error.Write("Using -X option but stdin tag not match.\n");
                return 1;
            }
            argv[at] = ReadAllStdin();
        }
        return session.IssueCommand(argv, o.Repeat) ? 0 : 1;
    }

    static byte[] ReadAllStdin()
    {
        using var stdin = Console.OpenStandardInput();
        var m = new MemoryStream();
        stdin.CopyTo(m);
        return m.ToArray();
    }

    /// <summary>--eval FILE key1 key2 , arg1 arg2: EVAL with the file as the script; "," splits keys from args.</summary>
    static int Eval(CliSession session)
    {
        var o = session.Options;
        byte[] script;
        try
        {
            // A directory opens but reads as nothing, so its script is empty.
            script = Directory.Exists(o.Eval) ? [] : File.ReadAllBytes(o.Eval!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string reason = e is FileNotFoundException or DirectoryNotFoundException ? "No such file or directory"
                : e is UnauthorizedAccessException ? "Permission denied" : e.Message;
            Console.Error.Write($"Can't open file '{o.Eval}': {reason}\n");
            return 1;
        }
        var keys = new List<byte[]>();
        var rest = new List<byte[]>();
        bool afterComma = false;
        foreach (var a in o.Command)
        {
            if (!afterComma && a == ",") afterComma = true;
            else (afterComma ? rest : keys).Add(Encoding.UTF8.GetBytes(a));
        }
        var argv = new List<byte[]> { "EVAL"u8.ToArray(), script, Encoding.ASCII.GetBytes(keys.Count.ToString()) };
        argv.AddRange(keys);
        argv.AddRange(rest);
        return session.IssueCommand(argv, 1) ? 0 : 1;
    }

    /// <summary>The --help text (also printed to stderr for a malformed --cluster).</summary>
    internal const string Usage =
        "carmine-cli " + Version + "\n\n" +
        "Usage: carmine-cli [OPTIONS] [cmd [arg [arg ...]]]\n" +
        "  -h <hostname>      Server hostname (default: 127.0.0.1).\n" +
        "  -p <port>          Server port (default: 6379).\n" +
        "  -s <socket>        Server socket (overrides hostname and port).\n" +
        "  -a <password>      Password to use when connecting to the server (also --pass).\n" +
        "                     REDISCLI_AUTH in the environment also passes it.\n" +
        "  --user <username>  Used to send ACL style 'AUTH username pass'. Needs -a.\n" +
        "  --askpass          Read the password from STDIN, masked; '-a' and REDISCLI_AUTH are ignored.\n" +
        "  -u <uri>           Server URI: redis[s]://[[user:]password@]host[:port][/db].\n" +
        "  -r <repeat>        Execute specified command N times (-1: forever).\n" +
        "  -i <interval>      When -r is used, waits <interval> seconds per command.\n" +
        "  -n <db>            Database number.\n" +
        "  -2                 Start session in RESP2 protocol mode.\n" +
        "  -3                 Start session in RESP3 protocol mode.\n" +
        "  -x                 Read last argument from STDIN.\n" +
        "  -X <tag>           Read the argument equal to <tag> from STDIN.\n" +
        "  -d <delimiter>     Delimiter between response bulks for raw formatting (default: \\n).\n" +
        "  -D <delimiter>     Delimiter between responses for raw formatting (default: \\n).\n" +
        "  -c                 Enable cluster mode (follow -ASK and -MOVED redirections).\n" +
        "  -e                 Return exit error code when command execution fails.\n" +
        "  --tls              Establish a secure TLS connection.\n" +
        "  --sni <host>       Server name indication for TLS.\n" +
        "  --cacert <file>    CA Certificate file to verify with.\n" +
        "  --cacertdir <dir>  Directory of trusted CA certificates (hashed names, as c_rehash makes).\n" +
        "                     Without --cacert or --cacertdir the system's trusted roots apply.\n" +
        "  --insecure         Allow insecure TLS connection by skipping cert validation.\n" +
        "  --cert <file>      Client certificate to authenticate with.\n" +
        "  --key <file>       Private key file to authenticate with.\n" +
        "  --tls-ciphersuites <list> TLSv1.3 cipher suites, colon separated.\n" +
        "  --raw              Use raw formatting for replies (default when STDOUT is not a tty).\n" +
        "  --no-raw           Force formatted output even when STDOUT is not a tty.\n" +
        "  --quoted-input     Force input to be handled as quoted strings.\n" +
        "  --csv              Output in CSV format.\n" +
        "  --json             Output in JSON format (RESP3 unless -2 is given).\n" +
        "  --quoted-json      Same as --json, but with ASCII-safe quoted strings.\n" +
        "  --show-pushes <yn> Whether to print RESP3 PUSH messages (default: when STDOUT is a tty).\n" +
        "  --no-auth-warning  Don't show warning message when using password on command line.\n" +
        "  --latency          Enter a special mode continuously sampling latency.\n" +
        "  --latency-history  Like --latency but tracking latency changes over time.\n" +
        "  --latency-dist     Shows latency as a spectrum, requires xterm 256 colors (--mono: greys).\n" +
        "  --replica          Simulate a replica showing commands received from the master.\n" +
        "  --rdb <filename>   Transfer an RDB dump from remote server to local file ('-': stdout).\n" +
        "  --functions-rdb <filename> Like --rdb but only the functions.\n" +
        "  --bigkeys          Sample Redis keys looking for keys with many elements (complexity).\n" +
        "  --memkeys          Sample Redis keys looking for keys consuming a lot of memory.\n" +
        "  --memkeys-samples <n> Like --memkeys, with MEMORY USAGE ... SAMPLES <n>.\n" +
        "  --hotkeys          Sample Redis keys looking for hot keys (needs an LFU maxmemory-policy).\n" +
        "  --stat             Print rolling stats about server: mem, clients, ...\n" +
        "  --scan             List all keys using the SCAN command.\n" +
        "  --pattern <pat>    Keys pattern when using the --scan, --bigkeys or --hotkeys options.\n" +
        "  --quoted-pattern <pat> Same as --pattern, but the pattern is a quoted string (\"\\x00\" and the like).\n" +
        "  --count <count>    Count option when using the --scan option.\n" +
        "  --pipe             Transfer raw Redis protocol from stdin to server.\n" +
        "  --pipe-timeout <n> In --pipe mode, abort with error if after sending all data\n" +
        "                     no reply is received within <n> seconds (default: 30).\n" +
        "  --eval <file>      Send an EVAL command using the Lua script at <file>.\n" +
        "  --cluster <command> [args...] [opts...]\n" +
        "                     Cluster Manager command and arguments (see below).\n" +
        "  --verbose          Verbose mode.\n" +
        "  --help             Output this help and exit.\n" +
        "  --version          Output version and exit.\n\n" +
        "Cluster Manager Commands:\n" +
        "  Use --cluster help to list all available cluster manager commands.\n\n" +
        "Examples:\n" +
        "  cat /etc/passwd | carmine-cli -x set mypasswd\n" +
        "  carmine-cli -r 100 lpush mylist x\n" +
        "  carmine-cli -r 100 -i 1 info | grep used_memory_human:\n" +
        "  carmine-cli --eval myscript.lua key1 key2 , arg1 arg2 arg3\n" +
        "  carmine-cli --scan --pattern '*:12345*'\n\n" +
        "When no command is given, carmine-cli starts in interactive mode.\n" +
        "Type \"help\" in interactive mode for information on available commands.\n";
}
