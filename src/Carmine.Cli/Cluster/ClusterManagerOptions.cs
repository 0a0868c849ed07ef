using System.Globalization;

namespace Carmine.Cli.Cluster;

/// <summary>The --cluster subcommand, its arguments and the --cluster-* options, parsed as redis-cli 7.0 does.</summary>
public sealed class ClusterManagerOptions
{
    public const int DefaultMigrateTimeout = 60000;
    public const int DefaultMigratePipeline = 10;

    /// <summary>The subcommand after --cluster; null when only --cluster-* options were given.</summary>
    public string? Command { get; private set; }
    public List<string> Args { get; } = [];
    public int Replicas { get; private set; }
    public string? MasterId { get; private set; }
    public string? From { get; private set; }
    public string? To { get; private set; }
    public string? FromUser { get; private set; }
    public string? FromPass { get; set; }
    public bool FromAskPass { get; private set; }
    public List<string>? Weights { get; private set; }
    public int Slots { get; private set; }
    public int Timeout { get; private set; } = DefaultMigrateTimeout;
    public int Pipeline { get; private set; } = DefaultMigratePipeline;
    public float Threshold { get; private set; } = 2;
    public bool Yes { get; set; }
    public bool Simulate { get; private set; }
    public bool Replace { get; private set; }
    public bool Copy { get; private set; }
    public bool Slave { get; private set; }
    public bool UseEmptyMasters { get; private set; }
    public bool SearchMultipleOwners { get; private set; }
    public bool FixWithUnreachableMasters { get; private set; }
    public bool OnlyMasters { get; private set; }
    public bool OnlyReplicas { get; private set; }
    /// <summary>Set by the fix subcommand: the check repairs what it finds.</summary>
    public bool Fix { get; set; }

    /// <summary>Consumes args[i] (and its values) if it is a --cluster option, or the subcommand's
    /// arguments when they follow the options; returns false for anything else.</summary>
    public static bool TryParse(CliOptions o, string[] args, ref int i)
    {
        string a = args[i];
        bool hasValue = i < args.Length - 1;
        var c = o.ClusterManager;
        if (a == "--cluster")
        {
            // A second --cluster, or one without a subcommand, is a usage error (redis-cli prints its help).
            if (!hasValue || c?.Command is not null) throw new CliUsageException(Program.Usage.TrimEnd('\n'));
            c = o.ClusterManager ??= new ClusterManagerOptions();
            c.Command = args[++i];
            int end = i + 1;
            while (end < args.Length && !args[end].StartsWith('-')) end++;
            c.Args.AddRange(args[(i + 1)..end]);
            i = end - 1;
            return true;
        }
        if (c?.Command is not null && !a.StartsWith('-'))
        {
            // "--cluster create --cluster-replicas 1 a:1 b:2 ...": the arguments come after the options.
            if (c.Args.Count > 0) return false;
            int end = i + 1;
            while (end < args.Length && !args[end].StartsWith('-')) end++;
            c.Args.AddRange(args[i..end]);
            i = end - 1;
            return true;
        }
        if (!a.StartsWith("--cluster-", StringComparison.Ordinal)) return false;
        c = o.ClusterManager ??= new ClusterManagerOptions();
        switch (a)
        {
            case "--cluster-only-masters": c.OnlyMasters = true; break;
            case "--cluster-only-replicas": c.OnlyReplicas = true; break;
            case "--cluster-replicas" when hasValue: c.Replicas = (int)CliOptions.Atoi(args[++i]); break;
            case "--cluster-master-id" when hasValue: c.MasterId = args[++i]; break;
            case "--cluster-from" when hasValue: c.From = args[++i]; break;
            case "--cluster-to" when hasValue: c.To = args[++i]; break;
            case "--cluster-from-user" when hasValue: c.FromUser = args[++i]; break;
            case "--cluster-from-pass" when hasValue: c.FromPass = args[++i]; break;
            case "--cluster-from-askpass": c.FromAskPass = true; break;
            case "--cluster-weight" when hasValue:
                if (c.Weights is not null)
                    throw new CliUsageException("WARNING: you cannot use --cluster-weight more than once.\n" +
                        "You can set more weights by adding them as a space-separated list, ie:\n--cluster-weight n1=w n2=w");
                int w = i + 1;
                while (w < args.Length && !args[w].StartsWith("--", StringComparison.Ordinal) && args[w].Contains('=')) w++;
                if (w > i + 1) c.Weights = [.. args[(i + 1)..w]];
                i = w - 1;
                break;
            case "--cluster-slots" when hasValue: c.Slots = (int)CliOptions.Atoi(args[++i]); break;
            case "--cluster-timeout" when hasValue: c.Timeout = (int)CliOptions.Atoi(args[++i]); break;
            case "--cluster-pipeline" when hasValue: c.Pipeline = (int)CliOptions.Atoi(args[++i]); break;
            case "--cluster-threshold" when hasValue:
                c.Threshold = float.TryParse(args[++i].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out float t) ? t : 0;
                break;
            case "--cluster-yes": c.Yes = true; break;
            case "--cluster-simulate": c.Simulate = true; break;
            case "--cluster-replace": c.Replace = true; break;
            case "--cluster-copy": c.Copy = true; break;
            case "--cluster-slave": c.Slave = true; break;
            case "--cluster-use-empty-masters": c.UseEmptyMasters = true; break;
            case "--cluster-search-multiple-owners": c.SearchMultipleOwners = true; break;
            case "--cluster-fix-with-unreachable-masters": c.FixWithUnreachableMasters = true; break;
            default: return false;
        }
        return true;
    }
}
