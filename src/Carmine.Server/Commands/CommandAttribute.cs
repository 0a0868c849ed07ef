namespace Carmine.Server.Commands;

/// <summary>
/// Declares a command: on a handler method <c>static void X(Client c)</c>, or on a class for a container
/// command whose subcommands ("config|get") are its methods. This is the command table's only source:
/// arity, flags, key positions, ACL categories and docs all come from here.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, AllowMultiple = true)]
public sealed class CommandAttribute(string name, int arity) : Attribute
{
    /// <summary>Lowercase name; subcommands as "container|sub".</summary>
    public string Name { get; } = name;
    /// <summary>Redis's arity: N exactly, or -N for at least N (the name counts).</summary>
    public int Arity { get; } = arity;
    /// <summary>Redis command flags, space separated: write readonly denyoom admin pubsub noscript blocking loading stale skip_monitor skip_slowlog fast no_auth may_replicate no_mandatory_keys no_multi allow_busy sentinel only_sentinel protected (DEBUG, MODULE: refused unless enable-debug-command / enable-module-command allow it).</summary>
    public string Flags { get; init; } = "";
    /// <summary>ACL categories beyond those the flags imply (without '@'): keyspace string list hash set sortedset connection server ...</summary>
    public string Acl { get; init; } = "";
    /// <summary>Key specs, each "FLAGS; BEGIN; FIND": e.g. "RW access update; index 1; range 0 1 0" or "RO access; keyword STREAMS 1; range -1 1 2".</summary>
    public string[] Keys { get; init; } = [];
    /// <summary>
    /// Name of a static method <c>bool M(ArgList args, List&lt;KeyReference&gt; keys)</c> in the declaring class that finds
    /// the keys and their flags where the key specs cannot (unknown or incomplete specs, variable_flags), like Redis's getkeys_proc.
    /// </summary>
    public string KeysFunction { get; init; } = "";
    public string Group { get; init; } = "generic";
    public string Since { get; init; } = "1.0.0";
    public string Summary { get; init; } = "";
    public string Complexity { get; init; } = "";
    /// <summary>COMMAND DOCS's doc_flags, space separated: deprecated syscmd.</summary>
    public string DocFlags { get; init; } = "";
    /// <summary>The version that deprecated the command, for COMMAND DOCS.</summary>
    public string DeprecatedSince { get; init; } = "";
    /// <summary>What replaces a deprecated command, as COMMAND DOCS words it: "`SET` with the `EX` argument".</summary>
    public string ReplacedBy { get; init; } = "";
    /// <summary>COMMAND DOCS's history, one "VERSION: change" per entry.</summary>
    public string[] History { get; init; } = [];
    /// <summary>COMMAND DOCS's arguments, one top-level argument per entry, in <see cref="CommandArgument"/>'s notation.</summary>
    public string[] Arguments { get; init; } = [];
    /// <summary>Command tips, space separated: nondeterministic_output request_policy:all_shards ...</summary>
    public string Tips { get; init; } = "";
    /// <summary>Runs with every keyspace lock held: FLUSHALL, SWAPDB, KEYS and the like.</summary>
    public bool Exclusive { get; init; }
}
