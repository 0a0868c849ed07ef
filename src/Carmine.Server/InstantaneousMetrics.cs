namespace Carmine.Server;

/// <summary>A rate over the last 16 samples, as Redis computes instantaneous_ops_per_sec and friends.</summary>
public sealed class InstantaneousMetric
{
    readonly double[] samples = new double[16];
    int index;
    long lastValue = -1;
    long lastTimeMs;

    public void Sample(long value, long nowMs)
    {
        if (lastValue >= 0 && nowMs > lastTimeMs)
        {
            samples[index] = (value - lastValue) * 1000.0 / (nowMs - lastTimeMs);
            index = (index + 1) % samples.Length;
        }
        lastValue = value;
        lastTimeMs = nowMs;
    }

    public double Rate => samples.Average();
}

public sealed partial class RedisServer
{
    public InstantaneousMetric OpsPerSec { get; } = new();
    public InstantaneousMetric InputKbps { get; } = new();
    public InstantaneousMetric OutputKbps { get; } = new();
    long lastMetricSampleMs;

    void SampleInstantaneousMetrics()
    {
        long now = Clock.NowMs();
        if (now - lastMetricSampleMs < 100) return;
        lastMetricSampleMs = now;
        OpsPerSec.Sample(Stats.Sum(s => s.Commands), now);
        InputKbps.Sample(Stats.Sum(s => s.NetInput), now);
        OutputKbps.Sample(Stats.Sum(s => s.NetOutput), now);
    }
}
