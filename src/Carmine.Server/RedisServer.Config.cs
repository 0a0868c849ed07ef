namespace Carmine.Server;

public sealed partial class RedisServer
{
    readonly OomScoreAdj oomScoreAdj = new();

    /// <summary>CONFIG SET's effects that can fail; null on success, else the reason (the set is then rolled back).</summary>
    string? ApplyConfig(string name) => name switch
    {
        "port" => Relisten("Unable to listen on this port. Check server logs."),
        "bind" => Relisten("Failed to bind to specified addresses."),
        "oom-score-adj" or "oom-score-adj-values" =>
            oomScoreAdj.Apply(Config) ? null : "Failed to set current oom_score_adj. Check server logs.",
        _ => null,
    };
}
