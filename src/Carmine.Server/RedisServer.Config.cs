using Carmine.Server.Network;

namespace Carmine.Server;

public sealed partial class RedisServer
{
    readonly OomScoreAdj oomScoreAdj = new();

    /// <summary>CONFIG SET's effects that can fail; null on success, else the reason (the set is then rolled back).</summary>
    string? ApplyConfig(string name) => name switch
    {
        "port" => Relisten("Unable to listen on this port. Check server logs."),
        "bind" => Relisten("Failed to bind to specified addresses."),
        "appendonly" => Config.GetBool("appendonly") ? Aof.Enable() : DisableAof(),
        "aof-disable-auto-gc" => Aof.ApplyAutoGc(),
        "oom-score-adj" or "oom-score-adj-values" =>
            oomScoreAdj.Apply(Config) ? null : "Failed to set current oom_score_adj. Check server logs.",
        "proc-title-template" => ProcTitle.Apply(Config) ? null : "failed to set process title",
        _ => null,
    };

    string? DisableAof()
    {
        Aof.Disable();
        return null;
    }

    /// <summary>
    /// protected-mode: while no password is set, only loopback and Unix-socket clients are served; others get
    /// Redis's DENIED error and are disconnected.
    /// </summary>
    string? ProtectedModeRejection(Client client) =>
        Config.GetBool("protected-mode") && !RequiresAuth && !IsLocalClient(client) ? ProtectedModeDenied : null;

    /// <summary>A client over the Unix socket or from a loopback address, as Redis's islocalClient.</summary>
    internal static bool IsLocalClient(Client c)
    {
        if (c.IsUnixSocket) return true;
        int colon = c.Address.LastIndexOf(':');
        string ip = colon < 0 ? c.Address : c.Address[..colon];
        return ip is "127.0.0.1" or "::1";
    }

    const string ProtectedModeDenied =
        "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. " +
        "In this mode connections are only accepted from the loopback interface. If you want to connect from external computers " +
        "to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command " +
        "'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is " +
        "running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make " +
        "this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration " +
        "file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server " +
        "manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password " +
        "for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting " +
        "connections from the outside.";
}
