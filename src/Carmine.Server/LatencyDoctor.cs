using System.Globalization;
using System.Text;

namespace Carmine.Server;

/// <summary>LATENCY DOCTOR's report: statistics per latency event, then the advice Redis gives for the events seen.</summary>
public static class LatencyDoctor
{
    [Flags]
    enum Advice
    {
        None = 0, SlowlogEnable = 1 << 0, SlowlogTuning = 1 << 1, SlowlogInspect = 1 << 2, Scheduler = 1 << 3, LocalDisk = 1 << 4,
        Ssd = 1 << 5, DataWriteback = 1 << 6, DiskContention = 1 << 7, NoAppendfsync = 1 << 8, RelaxFsync = 1 << 9,
        WriteLoadInfo = 1 << 10, Hz = 1 << 11, LargeObjects = 1 << 12, MassEviction = 1 << 13, DisableThp = 1 << 14,
    }

    /// <summary>The advice each event class calls for (the "command" event depends on the slowlog settings too).</summary>
    static readonly Dictionary<string, Advice> EventAdvice = new(StringComparer.OrdinalIgnoreCase)
    {
        ["command"] = Advice.SlowlogInspect | Advice.LargeObjects,
        ["fast-command"] = Advice.Scheduler,
        ["aof-write-pending-fsync"] = Advice.LocalDisk | Advice.DiskContention | Advice.Ssd | Advice.DataWriteback,
        ["aof-write-active-child"] = Advice.NoAppendfsync | Advice.DataWriteback | Advice.Ssd,
        ["aof-write-alone"] = Advice.LocalDisk | Advice.DataWriteback | Advice.Ssd,
        ["aof-fsync-always"] = Advice.RelaxFsync,
        ["aof-fstat"] = Advice.DiskContention | Advice.LocalDisk,
        ["rdb-unlink-temp-file"] = Advice.DiskContention | Advice.LocalDisk,
        ["aof-rewrite-diff-write"] = Advice.WriteLoadInfo | Advice.DataWriteback | Advice.Ssd | Advice.LocalDisk,
        ["aof-rename"] = Advice.WriteLoadInfo | Advice.DataWriteback | Advice.Ssd | Advice.LocalDisk,
        ["expire-cycle"] = Advice.Hz | Advice.LargeObjects,
        ["eviction-del"] = Advice.LargeObjects,
        ["eviction-cycle"] = Advice.MassEviction,
    };

    public static string Report(RedisServer server)
    {
        var latency = server.Latency;
        var events = latency.Latest();
        long threshold = latency.ThresholdMs;
        if (events.Count == 0 && threshold == 0)
            return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";
        var report = new StringBuilder();
        var advice = Advice.None;
        int count = 0;
        long now = Clock.NowMs() / 1000;
        foreach (var (name, _, _, maxMs) in events)
        {
            if (++count == 1) report.Append("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
            var samples = latency.History(name);
            long avg = samples.Sum(s => s.Ms) / samples.Count;
            long mad = samples.Sum(s => Math.Abs(avg - s.Ms)) / samples.Count;
            long period = Math.Max(1, now - samples.Min(s => s.Time));
            report.Append(CultureInfo.InvariantCulture,
                $"{count}. {name}: {samples.Count} latency spikes (average {avg}ms, mean deviation {mad}ms, period {(double)period / samples.Count:F2} sec). Worst all time event {maxMs}ms.");
            if (name.Equals("command", StringComparison.OrdinalIgnoreCase))
            {
                long slower = server.SlowLog.ThresholdUs;
                if (slower < 0) advice |= Advice.SlowlogEnable;
                else if (slower / 1000 > threshold) advice |= Advice.SlowlogTuning;
            }
            advice |= EventAdvice.GetValueOrDefault(name);
            report.Append('\n');
        }
        if (AnonHugePagesBytes() > 0) advice |= Advice.DisableThp;
        if (count == 0 && advice == Advice.None)
            report.Append("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n");
        else if (advice == Advice.None)
            report.Append("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n");
        else
            AppendAdvice(report, advice, server);
        return report.ToString();
    }

    static void AppendAdvice(StringBuilder report, Advice advice, RedisServer server)
    {
        long threshold = server.Latency.ThresholdMs;
        report.Append("\nI have a few advices for you:\n\n");
        if (advice.HasFlag(Advice.SlowlogEnable))
            report.Append(CultureInfo.InvariantCulture, $"- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {threshold * 1000}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n");
        if (advice.HasFlag(Advice.SlowlogTuning))
            report.Append(CultureInfo.InvariantCulture, $"- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {threshold * 1000}'.\n");
        if (advice.HasFlag(Advice.SlowlogInspect))
            report.Append("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n");
        if (advice.HasFlag(Advice.Scheduler))
            report.Append("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n"
                + "  1) Lower the system load.\n"
                + "  2) Use a computer / VM just for Redis if you are running other software in the same system.\n"
                + "  3) Check if you have a \"noisy neighbour\" problem.\n"
                + "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n"
                + "  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n");
        if (advice.HasFlag(Advice.LocalDisk))
            report.Append("- It is strongly advised to use local disks for persistence, especially if you are using AOF. Remote disks provided by platform-as-a-service providers are known to be slow.\n");
        if (advice.HasFlag(Advice.Ssd))
            report.Append("- SSD disks are able to reduce fsync latency, and total time needed for snapshotting and AOF log rewriting (resulting in smaller memory usage). With extremely high write load SSD disks can be a good option. However Redis should perform reasonably with high load using normal disks. Use this advice as a last resort.\n");
        if (advice.HasFlag(Advice.DataWriteback))
            report.Append("- Mounting ext3/4 filesystems with data=writeback can provide a performance boost compared to data=ordered, however this mode of operation provides less guarantees, and sometimes it can happen that after a hard crash the AOF file will have a half-written command at the end and will require to be repaired before Redis restarts.\n");
        if (advice.HasFlag(Advice.DiskContention))
            report.Append("- Try to lower the disk contention. This is often caused by other disk intensive processes running in the same computer (including other Redis instances).\n");
        if (advice.HasFlag(Advice.NoAppendfsync))
            report.Append("- Assuming from the point of view of data safety this is viable in your environment, you could try to enable the 'no-appendfsync-on-rewrite' option, so that fsync will not be performed while there is a child rewriting the AOF file or producing an RDB file (the moment where there is high disk contention).\n");
        if (advice.HasFlag(Advice.RelaxFsync) && server.Config.Exists("appendfsync") && server.Config.GetString("appendfsync") == "always")
            report.Append("- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n");
        if (advice.HasFlag(Advice.WriteLoadInfo))
            report.Append("- Latency during the AOF atomic rename operation or when the final difference is flushed to the AOF file at the end of the rewrite, sometimes is caused by very high write load, causing the AOF buffer to get very large. If possible try to send less commands to accomplish the same work, or use Lua scripts to group multiple operations into a single EVALSHA call.\n");
        if (advice.HasFlag(Advice.Hz) && server.Config.GetLong("hz") < 100)
            report.Append("- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n");
        if (advice.HasFlag(Advice.LargeObjects))
            report.Append("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n");
        if (advice.HasFlag(Advice.MassEviction))
            report.Append("- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n");
        if (advice.HasFlag(Advice.DisableThp))
            report.Append("- I detected a non zero amount of anonymous huge pages used by your process. This creates very serious latency events in different conditions, especially when Redis is persisting on disk. To disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so that the command will be executed again after a reboot. Note that even if you have already disabled THP, you still need to restart the Redis process to get rid of the huge pages already created.\n");
    }

    /// <summary>Transparent huge pages backing this process, from /proc (0 where unavailable).</summary>
    static long AnonHugePagesBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/smaps_rollup"))
                if (line.StartsWith("AnonHugePages:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
        }
        return 0;
    }
}
