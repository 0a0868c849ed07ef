using System.Globalization;

namespace Carmine.Client;

/// <summary>
/// One master, replica or sentinel as a sentinel describes it (SENTINEL MASTERS, MASTER, REPLICAS, SENTINELS):
/// every field as sent, and typed accessors for the ones clients act on.
/// </summary>
public sealed class SentinelInstance(Dictionary<string, string> fields)
{
    public IReadOnlyDictionary<string, string> Fields { get; } = fields;

    /// <summary>A field's value, or "" when the sentinel did not send it.</summary>
    public string this[string field] => Fields.TryGetValue(field, out var v) ? v : "";

    public string Name => this["name"];
    public string Host => this["ip"];
    public int Port => int.TryParse(this["port"], NumberStyles.None, CultureInfo.InvariantCulture, out int p) ? p : 0;
    public string RunId => this["runid"];
    /// <summary>The flags field split on commas: master, slave, s_down, o_down, disconnected, promoted, ...</summary>
    public string[] Flags => this["flags"].Split(',', StringSplitOptions.RemoveEmptyEntries);
    /// <summary>Subjectively or objectively down, or not connected to the sentinel: not a node to send commands to.</summary>
    public bool IsDown => Flags.Any(f => f is "s_down" or "o_down" or "disconnected");
    public string EndPoint => $"{Host}:{Port}";

    internal static SentinelInstance[] List(Carmine.Protocol.RespValue r) =>
        Reply.Check(r).IsNull ? [] : r.Items!.Select(i => new SentinelInstance(Reply.Map(i))).ToArray();
}
