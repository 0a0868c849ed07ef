using Carmine.Server.Network;
using Carmine.Server.Tracking;

namespace Carmine.Server.Commands;

/// <summary>Client-side caching: CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO.</summary>
static class TrackingCommands
{
    const string Flags = "noscript loading stale sentinel";

    [Command("client|tracking", -3, Flags = Flags, Acl = "connection", Group = "connection", Since = "6.0.0",
        Summary = "Enable or disable server assisted client side caching support",
        Complexity = "O(1). Some options may introduce additional complexity.",
        Arguments = [
            "status:oneof (on:pure-token token=ON | off:pure-token token=OFF)",
            "client-id:integer optional token=REDIRECT",
            "prefix:string optional multiple multiple_token token=PREFIX",
            "bcast:pure-token optional token=BCAST",
            "optin:pure-token optional token=OPTIN",
            "optout:pure-token optional token=OPTOUT",
            "noloop:pure-token optional token=NOLOOP",
        ])]
    static void ClientTracking(Client c)
    {
        var args = c.Args;
        long redirect = 0;
        bool bcast = false, optIn = false, optOut = false, noLoop = false;
        var prefixes = new List<byte[]>();
        for (int j = 3; j < args.Count; j++)
        {
            bool more = j + 1 < args.Count;
            if (args.Is(j, "redirect") && more)
            {
                j++;
                if (redirect != 0)
                {
                    c.Error("ERR A client can only redirect to a single other client");
                    return;
                }
                if (!c.TryLong(j, out redirect)) return;
                // The target must exist now, though it may go away later (then the redirection is broken).
                if (c.Server.FindClient(redirect) is null)
                {
                    c.Error("ERR The client ID you want redirect to does not exist");
                    return;
                }
            }
            else if (args.Is(j, "bcast")) bcast = true;
            else if (args.Is(j, "optin")) optIn = true;
            else if (args.Is(j, "optout")) optOut = true;
            else if (args.Is(j, "noloop")) noLoop = true;
            else if (args.Is(j, "prefix") && more) prefixes.Add(args.ToArray(++j));
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }
        if (args.Is(2, "off"))
        {
            c.Server.Tracking.Disable(c);
            c.Reply.Ok();
            return;
        }
        if (!args.Is(2, "on"))
        {
            c.Error(Errors.Syntax);
            return;
        }
        var current = c.Tracking;
        string? error = null;
        if (!bcast && prefixes.Count > 0) error = "ERR PREFIX option requires BCAST mode to be enabled";
        else if (current is not null && current.Bcast != bcast)
            error = "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.";
        else if (bcast && (optIn || optOut)) error = "ERR OPTIN and OPTOUT are not compatible with BCAST";
        else if (optIn && optOut) error = "ERR You can't specify both OPTIN mode and OPTOUT mode";
        else if ((optIn && current is { OptOut: true }) || (optOut && current is { OptIn: true }))
            error = "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.";
        else if (bcast) error = TrackingTable.PrefixCollision(c, prefixes);
        if (error is not null)
        {
            c.Error(error);
            return;
        }
        c.Server.Tracking.Enable(c, redirect, bcast, optIn, optOut, noLoop, prefixes);
        c.Reply.Ok();
    }

    [Command("client|caching", 3, Flags = Flags, Acl = "connection", Group = "connection", Since = "6.0.0",
        Summary = "Instruct the server about tracking or not keys in the next request", Complexity = "O(1)",
        Arguments = ["mode:oneof (yes:pure-token token=YES | no:pure-token token=NO)"])]
    static void Caching(Client c)
    {
        var t = c.Tracking;
        if (t is null)
        {
            c.Error("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled");
            return;
        }
        if (c.Args.Is(2, "yes"))
        {
            if (!t.OptIn)
            {
                c.Error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
                return;
            }
        }
        else if (c.Args.Is(2, "no"))
        {
            if (!t.OptOut)
            {
                c.Error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
                return;
            }
        }
        else
        {
            c.Error(Errors.Syntax);
            return;
        }
        t.Caching = true;
        c.Reply.Ok();
    }

    [Command("client|getredir", 2, Flags = Flags, Acl = "connection", Group = "connection", Since = "6.0.0",
        Summary = "Get tracking notifications redirection client ID if any", Complexity = "O(1)")]
    static void GetRedir(Client c) => c.Reply.Integer(c.Tracking?.Redirect ?? -1);

    [Command("client|trackinginfo", 2, Flags = Flags, Acl = "connection", Group = "connection", Since = "6.2.0",
        Summary = "Return information about server assisted client side caching for the current connection", Complexity = "O(1)")]
    static void TrackingInfo(Client c)
    {
        var t = c.Tracking;
        var flags = new List<string> { t is null ? "off" : "on" };
        if (t is not null)
        {
            if (t.Bcast) flags.Add("bcast");
            if (t.OptIn) flags.Add("optin");
            if (t.OptIn && t.Caching) flags.Add("caching-yes");
            if (t.OptOut) flags.Add("optout");
            if (t.OptOut && t.Caching) flags.Add("caching-no");
            if (t.NoLoop) flags.Add("noloop");
            if (t.BrokenRedirect) flags.Add("broken_redirect");
        }
        var r = c.Reply;
        r.MapHeader(3);
        r.Bulk("flags");
        r.SetHeader(flags.Count);
        foreach (var f in flags) r.Bulk(f);
        r.Bulk("redirect");
        r.Integer(t?.Redirect ?? -1);
        r.Bulk("prefixes");
        var prefixes = t?.Prefixes.ToList() ?? [];
        r.ArrayHeader(prefixes.Count);
        foreach (var p in prefixes) r.Bulk(p);
    }
}
