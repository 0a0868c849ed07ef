using System.Globalization;
using Carmine.Server.Config;

namespace Carmine.Server;

/// <summary>
/// oom-score-adj: writes /proc/self/oom_score_adj from oom-score-adj-values (the master's or the replica's class),
/// relative to the score the process had before Carmine first changed it, which is put back when turned off.
/// </summary>
sealed class OomScoreAdj
{
    const string ProcFile = "/proc/self/oom_score_adj";
    const int Relative = 1;

    bool adjusted;
    int baseScore;

    /// <summary>Puts the configured score into effect; false (after logging why) if the proc file refused it.</summary>
    public bool Apply(ServerConfig config)
    {
        long mode = config.GetLong("oom-score-adj");
        int score;
        if (mode != 0)
        {
            if (!adjusted)
            {
                adjusted = true;
                try
                {
                    baseScore = int.Parse(File.ReadAllText(ProcFile).Trim(), CultureInfo.InvariantCulture);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
                {
                    Log.Warning("Unable to read oom_score_adj: " + e.Message);
                    return false;
                }
            }
            var values = config.GetString("oom-score-adj-values").Split(' ');
            int processClass = config.GetString("replicaof").Length > 0 ? 1 : 0;
            score = int.Parse(values[processClass], CultureInfo.InvariantCulture);
            if (mode == Relative) score += baseScore;
            score = Math.Clamp(score, -1000, 1000);
        }
        else if (adjusted)
        {
            adjusted = false;
            score = baseScore;
        }
        else return true;
        try
        {
            File.WriteAllText(ProcFile, score.ToString(CultureInfo.InvariantCulture) + "\n");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.Warning("Unable to write oom_score_adj: " + e.Message);
            return false;
        }
    }
}
