namespace Carmine.Server.Tracking;

/// <summary>One client's CLIENT TRACKING state: its mode, options and redirection. Present only while tracking is on.</summary>
public sealed class ClientTracking
{
    /// <summary>The client ID invalidations go to; 0 sends them to the client itself.</summary>
    public long Redirect { get; set; }
    public bool Bcast { get; set; }
    public bool OptIn { get; set; }
    public bool OptOut { get; set; }
    public bool NoLoop { get; set; }
    /// <summary>CLIENT CACHING yes (OPTIN) or no (OPTOUT) was given for the next command or transaction.</summary>
    public bool Caching { get; set; }
    /// <summary>The redirection client went away: set when an invalidation could not be delivered.</summary>
    public volatile bool BrokenRedirect;
    /// <summary>BCAST prefixes, sorted as Redis lists them.</summary>
    public SortedSet<byte[]> Prefixes { get; } = new(ByteArrayComparer.Instance);

    /// <summary>
    /// Invalidations of keys the client changed itself during its command, sent after the command's reply
    /// (a null entry invalidates everything). Touched only on the client's own loop thread.
    /// </summary>
    public List<byte[]?> Pending { get; } = [];

    /// <summary>Whether a read-only command now records its keys: OPTIN needs CACHING yes, OPTOUT skips on CACHING no.</summary>
    public bool RemembersKeys => !Bcast && !(OptIn && !Caching) && !(OptOut && Caching);
}
