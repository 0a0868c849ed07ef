using System.Globalization;
using System.Text;

namespace Carmine.Cli;

/// <summary>The command line of carmine-cli, with redis-cli's flags and defaults.</summary>
public sealed class CliOptions
{
    public string Host { get; set; } = "127.0.0.1";
    public int Port { get; set; } = 6379;
    public string? UnixSocket { get; set; }
    public string? User { get; set; }
    public string? Password { get; set; }
    /// <summary>The database asked for with -n or the URI; the prompt shows the one actually selected.</summary>
    public int Database { get; set; }
    /// <summary>-3: HELLO 3 on connect, failing if the server refuses.</summary>
    public bool Resp3 { get; set; }
    /// <summary>--json asks for RESP3 but carries on in RESP2 if HELLO 3 fails.</summary>
    public bool Resp3Preferred { get; set; }
    /// <summary>-2: never switch to RESP3.</summary>
    public bool Resp2 { get; set; }
    /// <summary>--show-pushes; null means "when stdout is a terminal".</summary>
    public bool? ShowPushes { get; set; }
    /// <summary>-d: between elements of an aggregate in raw output.</summary>
    public string BulkDelimiter { get; set; } = "\n";
    /// <summary>-D: after each reply in raw output.</summary>
    public string ReplyDelimiter { get; set; } = "\n";
    /// <summary>-X TAG: the argument equal to TAG is replaced by stdin.</summary>
    public string? StdinTag { get; set; }
    /// <summary>--quoted-input: command-line arguments are unquoted like interactive input.</summary>
    public bool QuotedInput { get; set; }
    public long Repeat { get; set; } = 1;
    /// <summary>Pause between repeated commands (-i, in seconds on the command line).</summary>
    public TimeSpan Interval { get; set; }
    public bool StdinLastArg { get; set; }
    public bool ExitOnError { get; set; }
    public OutputMode Output { get; set; }
    public bool NoAuthWarning { get; set; }
    public bool Scan { get; set; }
    public string? Pattern { get; set; }
    public int? Count { get; set; }
    public bool Pipe { get; set; }
    public int PipeTimeoutSeconds { get; set; } = 30;
    public string? Eval { get; set; }
    public bool Latency { get; set; }
    public bool LatencyHistory { get; set; }
    public bool Stat { get; set; }
    /// <summary>--latency-dist: PING latencies as a coloured spectrum; --mono picks the grey palette.</summary>
    public bool LatencyDist { get; set; }
    public bool Mono { get; set; }
    /// <summary>--bigkeys: the biggest key of each type by length.</summary>
    public bool BigKeys { get; set; }
    /// <summary>--memkeys: the biggest key of each type by MEMORY USAGE, with SAMPLES when --memkeys-samples is given.</summary>
    public bool MemKeys { get; set; }
    public int MemKeysSamples { get; set; }
    /// <summary>--hotkeys: the keys with the highest LFU counters.</summary>
    public bool HotKeys { get; set; }
    /// <summary>--rdb FILE, or --functions-rdb FILE for the functions only: the master's RDB through SYNC; "-" is stdout.</summary>
    public bool Rdb { get; set; }
    public bool FunctionsRdb { get; set; }
    public string? RdbFile { get; set; }
    /// <summary>--replica: a fake replica printing the commands the master streams.</summary>
    public bool Replica { get; set; }
    /// <summary>--askpass: the password is read from stdin, masked on a terminal.</summary>
    public bool AskPass { get; set; }
    /// <summary>--tls, or a rediss:// URI; the other TLS options apply only then.</summary>
    public bool Tls { get; set; }
    public CliTlsOptions TlsOptions { get; } = new();
    public bool ShowHelp { get; set; }
    public bool ShowVersion { get; set; }
    public bool Verbose { get; set; }
    /// <summary>-c: follow MOVED and ASK redirections.</summary>
    public bool ClusterMode { get; set; }
    /// <summary>--cluster SUBCOMMAND and the --cluster-* options.</summary>
    public Cluster.ClusterManagerOptions? ClusterManager { get; set; }
    /// <summary>Problems redis-cli reports on stderr without stopping.</summary>
    public List<string> Warnings { get; } = [];
    /// <summary>The command and its arguments after the options.</summary>
    public List<string> Command { get; } = [];

    public const string PasswordWarning = "Warning: Using a password with '-a' or '-u' option on the command line interface may not be safe.";

    /// <summary>A password given with -a, --pass or -u is warned about unless --no-auth-warning.</summary>
    public bool WarnsAboutPassword => !NoAuthWarning && Password is not null;

    /// <summary>Parses the arguments as redis-cli does; throws <see cref="CliUsageException"/> with
    /// redis-cli's message for an unknown option.</summary>
    public static CliOptions Parse(string[] args, bool stdoutIsTty)
    {
        var o = new CliOptions { Output = stdoutIsTty ? OutputMode.Standard : OutputMode.Raw };
        int i = 0;
        for (; i < args.Length; i++)
        {
            string a = args[i];
            bool hasValue = i < args.Length - 1;
            switch (a)
            {
                case "-h" when hasValue: o.Host = args[++i]; break;
                case "-h":
                case "--help": o.ShowHelp = true; break;
                case "-v":
                case "--version": o.ShowVersion = true; break;
                case "-x": o.StdinLastArg = true; break;
                case "-p" when hasValue: o.Port = (int)Atoi(args[++i]); break;
                case "-s" when hasValue: o.UnixSocket = args[++i]; break;
                case "-r" when hasValue: o.Repeat = Atoi(args[++i]); break;
                case "-i" when hasValue: o.Interval = TimeSpan.FromSeconds(Atof(args[++i])); break;
                case "-n" when hasValue: o.Database = (int)Atoi(args[++i]); break;
                case "--no-auth-warning": o.NoAuthWarning = true; break;
                case "--askpass": o.AskPass = true; break;
                case "-a" when hasValue:
                case "--pass" when hasValue: o.Password = args[++i]; break;
                case "--user" when hasValue: o.User = args[++i]; break;
                case "-u" when hasValue: o.ParseUri(args[++i]); break;
                case "--raw": o.Output = OutputMode.Raw; break;
                case "--no-raw": o.Output = OutputMode.Standard; break;
                case "--csv": o.Output = OutputMode.Csv; break;
                case "--latency": o.Latency = true; break;
                case "--latency-history": o.Latency = o.LatencyHistory = true; break;
                case "--stat": o.Stat = true; break;
                case "--latency-dist": o.LatencyDist = true; break;
                case "--mono": o.Mono = true; break;
                case "--bigkeys": o.BigKeys = true; break;
                case "--memkeys":
                    o.MemKeys = true;
                    o.MemKeysSamples = 0;
                    break;
                case "--memkeys-samples" when hasValue:
                    o.MemKeys = true;
                    o.MemKeysSamples = (int)Atoi(args[++i]);
                    break;
                case "--hotkeys": o.HotKeys = true; break;
                case "--rdb" when hasValue:
                    o.Rdb = true;
                    o.RdbFile = args[++i];
                    break;
                case "--functions-rdb" when hasValue:
                    o.FunctionsRdb = true;
                    o.RdbFile = args[++i];
                    break;
                case "--slave":
                case "--replica": o.Replica = true; break;
                case "--tls": o.Tls = true; break;
                case "--sni" when hasValue: o.TlsOptions.Sni = args[++i]; break;
                case "--cacertdir" when hasValue: o.TlsOptions.CaCertDir = args[++i]; break;
                case "--cacert" when hasValue: o.TlsOptions.CaCert = args[++i]; break;
                case "--cert" when hasValue: o.TlsOptions.Cert = args[++i]; break;
                case "--key" when hasValue: o.TlsOptions.Key = args[++i]; break;
                case "--insecure": o.TlsOptions.Insecure = true; break;
                case "--tls-ciphersuites" when hasValue: o.TlsOptions.Ciphersuites = args[++i]; break;
                case "--scan": o.Scan = true; break;
                case "--pattern" when hasValue: o.Pattern = args[++i]; break;
                case "--quoted-pattern" when hasValue:
                    o.Pattern = ArgSplitter.Split(args[++i]) is [var pattern] ? Encoding.UTF8.GetString(pattern)
                        : throw new CliUsageException("Invalid quoted string specified for --quoted-pattern.");
                    break;
                case "--count" when hasValue: o.Count = (int)Atoi(args[++i]); break;
                case "--pipe": o.Pipe = true; break;
                case "--pipe-timeout" when hasValue: o.PipeTimeoutSeconds = (int)Atoi(args[++i]); break;
                case "--eval" when hasValue: o.Eval = args[++i]; break;
                case "-e": o.ExitOnError = true; break;
                // Only the cluster manager is verbose (rebalance prints each node's balance).
                case "--verbose": o.Verbose = true; break;
                case "-3": o.Resp3 = true; break;
                case "-2": o.Resp2 = true; break;
                case "--json":
                case "--quoted-json":
                    o.Resp3Preferred = true;
                    o.Output = a == "--json" ? OutputMode.Json : OutputMode.QuotedJson;
                    break;
                case "--show-pushes" when hasValue:
                {
                    string v = args[++i];
                    if (v.StartsWith('n') || v.StartsWith('N')) o.ShowPushes = false;
                    else if (v.StartsWith('y') || v.StartsWith('Y')) o.ShowPushes = true;
                    else o.Warnings.Add($"Unknown --show-pushes value '{v}' (valid: '[y]es', '[n]o')");
                    break;
                }
                case "-d" when hasValue: o.BulkDelimiter = args[++i]; break;
                case "-D" when hasValue: o.ReplyDelimiter = args[++i]; break;
                case "-X" when hasValue: o.StdinTag = args[++i]; break;
                case "--quoted-input": o.QuotedInput = true; break;
                case "-c": o.ClusterMode = true; break;
                case var _ when Cluster.ClusterManagerOptions.TryParse(o, args, ref i): break;
                default:
                    if (a.StartsWith('-'))
                        throw new CliUsageException($"Unrecognized option or bad number of args for: '{a}'");
                    o.Command.AddRange(args[i..]);
                    return o.Checked();
            }
        }
        return o.Checked();
    }

    CliOptions Checked()
    {
        if (UnixSocket is not null && ClusterMode) throw new CliUsageException("Options -c and -s are mutually exclusive.");
        if (Resp2 && Resp3) throw new CliUsageException("Options -2 and -3 are mutually exclusive.");
        // redis-cli warns about a password on the command line before its remaining checks.
        string warning = WarnsAboutPassword ? PasswordWarning + "\n" : "";
        if (Rdb && FunctionsRdb) throw new CliUsageException(warning + "Option --functions-rdb and --rdb are mutually exclusive.");
        if (StdinLastArg && StdinTag is not null) throw new CliUsageException(warning + "Options -x and -X are mutually exclusive.");
        return this;
    }

    /// <summary>redis://[[user:]password@][host[:port]][/db], as redis-cli accepts with -u.</summary>
    void ParseUri(string uri)
    {
        string rest;
        if (uri.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase))
        {
            Tls = true;
            rest = uri["rediss://".Length..];
        }
        else if (uri.StartsWith("redis://", StringComparison.OrdinalIgnoreCase)) rest = uri["redis://".Length..];
        else throw new CliUsageException("Invalid URI scheme");
        int at = rest.IndexOf('@');
        if (at >= 0)
        {
            int colon = rest.IndexOf(':');
            string info = rest[..at];
            if (colon >= 0 && colon < at)
            {
                User = PercentDecode(rest[..colon]);
                info = rest[(colon + 1)..at];
            }
            Password = PercentDecode(info);
            rest = rest[(at + 1)..];
        }
        if (rest.Length == 0) return;
        int slash = rest.IndexOf('/');
        if (slash != 0)
        {
            // As redis-cli does, the port follows the first ':' even past the '/'.
            int portAt = rest.IndexOf(':');
            if (portAt >= 0) Port = (int)Atoi(rest[(portAt + 1)..]);
            Host = portAt >= 0 ? rest[..portAt] : slash < 0 ? rest : rest[..slash];
        }
        if (slash >= 0 && slash + 1 < rest.Length) Database = (int)Atoi(rest[(slash + 1)..]);
    }

    static string PercentDecode(string s)
    {
        var bytes = new List<byte>();
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] != '%')
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(s[i].ToString()));
                continue;
            }
            if (i + 1 >= s.Length) throw new CliUsageException("Incomplete URI encoding");
            if (i + 2 >= s.Length || !char.IsAsciiHexDigit(s[i + 1]) || !char.IsAsciiHexDigit(s[i + 2]))
                throw new CliUsageException("Illegal character in URI encoding");
            bytes.Add(byte.Parse(s.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            i += 2;
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>C's atoi/strtoll: the leading integer of the text, 0 when there is none.</summary>
    public static long Atoi(string s)
    {
        int i = 0;
        while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
        int begin = i;
        if (i < s.Length && (s[i] == '-' || s[i] == '+')) i++;
        while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        return long.TryParse(s.AsSpan(begin, i - begin), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) ? v : 0;
    }

    static double Atof(string s) =>
        double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : 0;
}

/// <summary>A bad command line: the message is printed to stderr and carmine-cli exits with 1.</summary>
public sealed class CliUsageException(string message) : Exception(message)
{
}
