using System.Globalization;
using System.Text;

namespace Carmine.Cli;

/// <summary>--stat: one line of INFO figures (keys, memory, clients, requests) per interval, default 1 s.</summary>
public static class StatMode
{
    public static int Run(CliSession session)
    {
        var interval = session.Options.Interval > TimeSpan.Zero ? session.Options.Interval : TimeSpan.FromSeconds(1);
        long requests = 0;
        for (int line = 0; ; line++)
        {
            var reply = session.Call("INFO");
            if (reply.IsError)
            {
                Console.Error.Write($"ERROR: {reply.Text}\n");
                return 1;
            }
            string info = reply.Text ?? "";
            var o = new StringBuilder();
            if (line % 20 == 0)
                o.Append("------- data ------ --------------------- load -------------------- - child -\n")
                 .Append("keys       mem      clients blocked requests            connections          \n");
            long keys = 0;
            for (int db = 0; db < 20; db++)
            {
                long k = Field(info, $"db{db}:keys");
                if (k != long.MinValue) keys += k;
            }
            o.Append(keys.ToString().PadRight(11));
            o.Append(Human(Field(info, "used_memory")).PadRight(8));
            o.Append(' ').Append(Field(info, "connected_clients").ToString().PadRight(8));
            o.Append(Field(info, "blocked_clients").ToString().PadRight(8));
            long total = Field(info, "total_commands_processed");
            o.Append($"{total} (+{(requests == 0 ? 0 : total - requests)})".PadRight(19));
            requests = total;
            o.Append(' ').Append(Field(info, "total_connections_received").ToString().PadRight(12));
            long children = Field(info, "bgsave_in_progress") | Field(info, "aof_rewrite_in_progress") << 1 | Field(info, "loading") << 2;
            o.Append(children switch { 1 => "SAVE", 2 => "AOF", 3 => "SAVE+AOF", 4 => "LOAD", _ => "" });
            o.Append('\n');
            session.WriteOut(o.ToString());
            Thread.Sleep(interval);
        }
    }

    // The first occurrence of the field name anywhere in INFO, its value ending at ',' or CR, as redis-cli reads it.
    static long Field(string info, string field)
    {
        int at = info.IndexOf(field, StringComparison.Ordinal);
        if (at < 0) return long.MinValue;
        int start = at + field.Length + 1;
        if (start > info.Length) return long.MinValue;
        int end = info.IndexOfAny([',', '\r'], start);
        return CliOptions.Atoi(end < 0 ? info[start..] : info[start..end]);
    }

    static string Human(long n)
    {
        string sign = n < 0 ? "-" : "";
        n = Math.Abs(n);
        if (n < 1024) return $"{sign}{n}B";
        var (d, unit) = n < 1024 * 1024 ? (n / 1024.0, "K") : n < 1024L * 1024 * 1024 ? (n / (1024.0 * 1024), "M") : (n / (1024.0 * 1024 * 1024), "G");
        return sign + d.ToString("F2", CultureInfo.InvariantCulture) + unit;
    }
}
