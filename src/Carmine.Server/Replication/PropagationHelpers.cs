using Carmine.Server.Network;

namespace Carmine.Server.Replication;

/// <summary>What a command uses to say how its change is to be replayed by replicas and the AOF.</summary>
public static class PropagationHelpers
{
    /// <summary>
    /// Adds an effect of the running command in its database; a command that adds any is not propagated as received.
    /// Costs nothing when nothing reads the stream.
    /// </summary>
    public static void Propagate(this Client c, PropagateTo to, params object[] argv)
    {
        var fx = PendingEffects.Current;
        if (fx.Depth == 0) return;
        fx.Add(new Effect(c.Db, ReplicationStream.Argv(argv), to));
    }

    /// <summary>Adds an effect in database <paramref name="db"/>, for code that has no client (serving a blocked client).</summary>
    public static void PropagateIn(int db, params object[] argv)
    {
        var fx = PendingEffects.Current;
        if (fx.Depth == 0) return;
        fx.Add(new Effect(db, ReplicationStream.Argv(argv), PropagateTo.All));
    }

    /// <summary>Adds an effect to both the AOF and the replicas.</summary>
    public static void Propagate(this Client c, params object[] argv) => c.Propagate(PropagateTo.All, argv);

    /// <summary>True when effects are being collected: a command may skip building a rewritten argv otherwise.</summary>
    public static bool Propagating(this Client c) => Collecting;

    /// <summary>True when this thread collects effects (something reads the stream); callers test it before building an argv.</summary>
    public static bool Collecting => PendingEffects.Current.Depth > 0;

    /// <summary>The running command changed data but is not to be propagated as received (it added nothing either).</summary>
    public static void PreventPropagation(this Client c) => PendingEffects.Current.Prevented = true;
}
