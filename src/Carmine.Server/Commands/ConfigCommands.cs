using Carmine.Server.Config;
using Carmine.Server.Network;

namespace Carmine.Server.Commands;

/// <summary>CONFIG GET SET RESETSTAT REWRITE HELP.</summary>
[Command("config", -2, Group = "server", Since = "2.0.0", Summary = "A container for server configuration commands", Complexity = "Depends on subcommand.")]
static class ConfigCommands
{
    [Command("config|get", -3, Flags = "admin noscript loading stale", Group = "server", Since = "2.0.0",
        Summary = "Get the values of configuration parameters", Complexity = "O(N) when N is the number of configuration parameters provided")]
    static void Get(Client c)
    {
        var patterns = new List<string>(c.Args.Count - 2);
        for (int i = 2; i < c.Args.Count; i++) patterns.Add(c.Args.ToStr(i));
        var matches = c.Server.Config.Get(patterns);
        c.Reply.MapHeader(matches.Count);
        foreach (var (name, value) in matches)
        {
            c.Reply.Bulk(name);
            c.Reply.Bulk(value);
        }
    }

    [Command("config|set", -4, Flags = "admin noscript loading stale", Group = "server", Since = "2.0.0",
        Tips = "request_policy:all_nodes response_policy:all_succeeded",
        Summary = "Set configuration parameters to the given values", Complexity = "O(N) when N is the number of configuration parameters provided")]
    static void Set(Client c)
    {
        if (c.Args.Count % 2 != 0)
        {
            c.Error(Errors.Syntax);
            return;
        }
        var pairs = new List<(string Name, string Value)>();
        for (int i = 2; i < c.Args.Count; i += 2) pairs.Add((c.Args.ToStr(i), c.Args.ToStr(i + 1)));
        var config = c.Server.Config;
        bool allowProtected = AllowProtectedAction(config.GetLong("enable-protected-configs"), c);
        // While the dataset loads, a directive that must not change then gets LOADING, ahead of any other error, as in Redis.
        if (c.Server.Loading && pairs.Any(p => config.Find(p.Name) is { } d && d.Has(ConfigFlags.DenyLoading)
                && !d.Has(ConfigFlags.Immutable) && (allowProtected || !d.Has(ConfigFlags.Protected))))
        {
            c.Error("LOADING Redis is loading the dataset in memory");
            return;
        }
        try
        {
            config.SetMany(pairs, allowProtected);
        }
        catch (ConfigException e)
        {
            c.Error("ERR " + e.Message);
            return;
        }
        c.Reply.Ok();
    }

    [Command("config|resetstat", 2, Flags = "admin noscript loading stale", Group = "server", Since = "2.0.0",
        Summary = "Reset the stats returned by INFO", Complexity = "O(1)")]
    static void ResetStat(Client c)
    {
        // Redis resets the server counters, every command's call statistics and the error statistics.
        c.Server.Stats.Reset();
        c.Server.Eviction.ResetStats();
        foreach (var cmd in c.Server.Commands.All)
        {
            ResetCommandStats(cmd);
            foreach (var sub in cmd.Subcommands?.Values ?? Enumerable.Empty<CommandDef>()) ResetCommandStats(sub);
        }
        c.Reply.Ok();
    }

    static void ResetCommandStats(CommandDef cmd)
    {
        foreach (var s in cmd.Stats) s.Reset();
    }

    [Command("config|rewrite", 2, Flags = "admin noscript loading stale", Group = "server", Since = "2.8.0",
        Summary = "Rewrite the configuration file with the in memory configuration", Complexity = "O(1)")]
    static void Rewrite(Client c)
    {
        var config = c.Server.Config;
        if (config.ConfigFile is null)
        {
            c.Error("ERR The server is running without a config file");
            return;
        }
        if (TryRewrite(config, false) is { } error)
        {
            Log.Warning("CONFIG REWRITE failed: " + error);
            c.Error("ERR Rewriting config file: " + error);
            return;
        }
        Log.Warning("CONFIG REWRITE executed with success.");
        c.Reply.Ok();
    }

    /// <summary>Rewrites the config file; null on success, else the strerror-like reason (DEBUG CONFIG-REWRITE-FORCE-ALL uses it too).</summary>
    public static string? TryRewrite(ServerConfig config, bool forceAll)
    {
        try
        {
            config.Rewrite(forceAll);
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return "Permission denied";
        }
        catch (DirectoryNotFoundException)
        {
            return "No such file or directory";
        }
        catch (IOException e)
        {
            return e.Message;
        }
    }

    [Command("config|help", 2, Flags = "loading stale", Group = "server", Since = "5.0.0",
        Summary = "Show helpful text about the different subcommands", Complexity = "O(1)")]
    static void Help(Client c) => c.HelpReply("CONFIG",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.");

    /// <summary>
    /// Whether a protected action (enable-protected-configs, enable-debug-command ...) is allowed for this client:
    /// "yes" (1) always, "local" (2) only over a Unix socket or from a loopback address.
    /// </summary>
    public static bool AllowProtectedAction(long setting, Client c) => setting == 1 || (setting == 2 && RedisServer.IsLocalClient(c));
}
