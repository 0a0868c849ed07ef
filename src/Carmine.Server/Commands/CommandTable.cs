using System.Reflection;
using Carmine.Protocol;
using Carmine.Server.Network;

namespace Carmine.Server.Commands;

/// <summary>
/// Every command the server knows, gathered at start-up from the [Command] attributes of the family files.
/// Lookup is by the request's first argument, case-insensitively, without allocating.
/// </summary>
public sealed class CommandTable
{
    readonly CommandDef?[] slots;
    readonly int mask;
    readonly SortedDictionary<string, CommandDef> byName = new(StringComparer.Ordinal);

    public CommandTable(int statSlots)
    {
        var subs = new List<CommandDef>();
        foreach (var type in typeof(CommandTable).Assembly.GetTypes())
        {
            foreach (var attr in type.GetCustomAttributes<CommandAttribute>())
                Add(new CommandDef(attr, null, statSlots), subs);
            foreach (var method in type.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            {
                foreach (var attr in method.GetCustomAttributes<CommandAttribute>())
                {
                    var handler = method.CreateDelegate<Action<Client>>();
                    var def = new CommandDef(attr, handler, statSlots);
                    if (attr.KeysFunction.Length > 0)
                    {
                        var finder = type.GetMethod(attr.KeysFunction, BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
                            ?? throw new InvalidOperationException($"{attr.Name}: no keys function {attr.KeysFunction}");
                        def.KeysFunction = finder.CreateDelegate<Func<ArgList, List<KeyReference>, bool>>();
                    }
                    Add(def, subs);
                }
            }
        }
        foreach (var sub in subs)
        {
            string parentName = sub.FullName[..sub.FullName.IndexOf('|')];
            if (!byName.TryGetValue(parentName, out var parent))
                throw new InvalidOperationException($"subcommand {sub.FullName} has no container");
            sub.Parent = parent;
            parent.Subcommands ??= new SortedDictionary<string, CommandDef>(StringComparer.Ordinal);
            parent.Subcommands[sub.Name] = sub;
        }
        int size = 1;
        while (size < byName.Count * 4) size <<= 1;
        slots = new CommandDef?[size];
        mask = size - 1;
        foreach (var cmd in byName.Values)
        {
            int i = (int)(NameHash(cmd.NameBytes) & (uint)mask);
            while (slots[i] is not null) i = (i + 1) & mask;
            slots[i] = cmd;
        }
    }

    void Add(CommandDef def, List<CommandDef> subs)
    {
        if (def.FullName.Contains('|')) subs.Add(def);
        else if (!byName.TryAdd(def.Name, def)) throw new InvalidOperationException("duplicate command " + def.Name);
    }

    public IEnumerable<CommandDef> All => byName.Values;

    public int Count => byName.Count;

    public CommandDef? Find(string name) => byName.GetValueOrDefault(name.ToLowerInvariant());

    /// <summary>Finds a top-level command by the bytes of its name, in any case.</summary>
    public CommandDef? Lookup(ReadOnlySpan<byte> name)
    {
        if (name.Length == 0 || name.Length > 64) return null;
        uint h = NameHash(name);
        int i = (int)(h & (uint)mask);
        while (true)
        {
            var cmd = slots[i];
            if (cmd is null) return null;
            if (EqualsIgnoreCase(cmd.NameBytes, name)) return cmd;
            i = (i + 1) & mask;
        }
    }

    /// <summary>Resolves a container's subcommand for a request; returns the container itself when none matches.</summary>
    public static CommandDef? LookupSub(CommandDef container, ArgList args)
    {
        if (container.Subcommands is null || args.Count < 2) return null;
        var name = args[1];
        foreach (var sub in container.Subcommands.Values)
            if (EqualsIgnoreCase(sub.NameBytes, name)) return sub;
        return null;
    }

    static uint NameHash(ReadOnlySpan<byte> name)
    {
        uint h = 2166136261;
        foreach (byte b in name) h = (h ^ (uint)(b | 0x20)) * 16777619;
        return h;
    }

    static bool EqualsIgnoreCase(ReadOnlySpan<byte> lower, ReadOnlySpan<byte> any)
    {
        if (lower.Length != any.Length) return false;
        for (int i = 0; i < lower.Length; i++)
        {
            int c = any[i];
            if (c >= 'A' && c <= 'Z') c += 32;
            if (c != lower[i]) return false;
        }
        return true;
    }
}
