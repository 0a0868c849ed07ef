using Carmine.Protocol;

namespace Carmine.Cli;

/// <summary>-c (cluster mode): a MOVED or ASK reply is not printed; the session connects to the node it
/// names (which becomes the prompt's address) and sends the command again, after ASKING for ASK.</summary>
public sealed partial class CliSession
{
    bool redirected;
    bool sendAsking;

    /// <summary>True (and the redirection noted) for a MOVED or ASK error in cluster mode.</summary>
    bool IsRedirection(RespValue reply)
    {
        if (!options.ClusterMode || !reply.IsError) return false;
        string text = reply.Text!;
        bool ask = text.StartsWith("ASK ", StringComparison.Ordinal);
        if (!ask && !text.StartsWith("MOVED ", StringComparison.Ordinal)) return false;
        // MOVED 3999 127.0.0.1:6381
        var words = text.Split(' ');
        string address = words.Length > 2 ? words[2] : "";
        int colon = address.LastIndexOf(':');
        options.Host = colon >= 0 ? address[..colon] : address;
        options.Port = colon >= 0 ? (int)CliOptions.Atoi(address[(colon + 1)..]) : 0;
        if (Interactive) WriteOut($"-> Redirected to slot [{CliOptions.Atoi(words[1])}] located at {options.Host}:{options.Port}\n");
        redirected = true;
        sendAsking = ask;
        return true;
    }

    /// <summary>Before (re)sending a command: connects to the node a redirection named and sends ASKING if needed.</summary>
    bool FollowRedirection()
    {
        if (redirected)
        {
            redirected = false;
            if (!Connect(force: true)) return false;
        }
        if (!sendAsking) return true;
        sendAsking = false;
        var reply = connection!.Call("ASKING");
        if (!reply.IsError) return true;
        Console.Error.Write($"ASKING failed: {reply.Text}\n");
        return false;
    }
}
