using Carmine.Protocol;
using Carmine.Server.Commands;

namespace Carmine.Server.Transactions;

/// <summary>The commands a client queued between MULTI and EXEC.</summary>
public sealed class MultiState
{
    public List<(CommandDef Command, ArgList Args)> Queued { get; } = [];

    /// <summary>A command was refused while queueing: EXEC replies EXECABORT.</summary>
    public bool Aborted { get; set; }
}
