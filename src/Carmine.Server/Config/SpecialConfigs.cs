using System.Globalization;

namespace Carmine.Server.Config;

/// <summary>Validation and canonical forms of the directives whose values are not a single number, flag or name.</summary>
static class SpecialConfigs
{
    public static (string Text, long Number) Validate(string name, string value, string? current)
    {
        switch (name)
        {
            case "save":
            {
                var words = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (words.Length % 2 != 0) throw new ConfigException("Invalid save parameters");
                foreach (var w in words)
                    if (!long.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out _)) throw new ConfigException("Invalid save parameters");
                return (string.Join(' ', words), 0);
            }
            case "bind":
            {
                var words = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (words.Length > 16) throw new ConfigException("Too many bind addresses specified.");
                return (string.Join(' ', words), 0);
            }
            case "unixsocketperm":
            {
                try { return (value, Convert.ToInt64(value, 8)); }
                catch (FormatException) { throw new ConfigException("Invalid socket file permissions"); }
            }
            case "notify-keyspace-events":
            {
                var flags = PubSub.KeyspaceEvents.Parse(value) ?? throw new ConfigException("Invalid event class character. Use 'Ag$lshzxeKEtmd'.");
                return (PubSub.KeyspaceEvents.Format(flags), (long)flags);
            }
            case "dir":
                if (current is not null)
                {
                    try { Directory.SetCurrentDirectory(value); }
                    catch (Exception e) { throw new ConfigException(e is DirectoryNotFoundException ? "No such file or directory" : e.Message); }
                    return (Directory.GetCurrentDirectory(), 0);
                }
                return (value, 0);
            default:
                return (value, 0);
        }
    }
}
