namespace Carmine.Server.Replication;

/// <summary>
/// The effects of the command running on this thread, gathered while it runs and emitted when the outermost
/// command (a plain command, EXEC or a script) finishes, still under its locks. A command that changed data
/// without saying how is propagated as it was received; one that rewrites itself (SET EX as SET PXAT, SPOP as
/// SREM, a blocking pop as its plain form) adds its own effects instead.
/// </summary>
public sealed class PendingEffects
{
    [ThreadStatic] static PendingEffects? current;

    /// <summary>This thread's collector.</summary>
    public static PendingEffects Current => current ??= new PendingEffects();

    readonly List<Effect> items = [];

    public List<Effect> Items => items;

    /// <summary>Nesting of commands being collected (EXEC and scripts run commands inside a command).</summary>
    public int Depth { get; set; }

    /// <summary>Set by a command that changed data but must not be propagated as received.</summary>
    public bool Prevented { get; set; }

    public void Add(Effect e) => items.Add(e);
}
