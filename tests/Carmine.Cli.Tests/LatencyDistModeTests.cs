using System.Text;
using System.Text.RegularExpressions;

namespace Carmine.Cli.Tests;

/// <summary>--latency-dist prints timings, so only its legend is compared with redis-cli's; the spectrum lines are checked for their shape.</summary>
public sealed class LatencyDistModeTests(RedisServerFixture server) : IClassFixture<RedisServerFixture>
{
    // One spectrum line: black foreground, then 31 buckets each with its background colour, then a reset.
    static readonly Regex Spectrum = new(@"^\x1b\[38;5;0m(\x1b\[48;5;\d+m[.\-*#1-9A-Q?]){31}\x1b\[0m$");

    string[] Lines(string program, params string[] args)
    {
        var r = CliRun.Run(program, ["-p", server.Port.ToString(), "--latency-dist", "-i", "0.2", .. args], null,
            new Dictionary<string, string>(), () => Thread.Sleep(1000));
        return Encoding.UTF8.GetString(r.Stdout).Split('\n');
    }

    [Theory]
    [InlineData]
    [InlineData("--mono")]
    public void LegendIsRedisClisThenOneSpectrumLinePerInterval(params string[] args)
    {
        var redis = Lines("redis-cli", args);
        var carmine = Lines(CliRun.CarmineCliPath, args);
        Assert.Equal(redis[..8], carmine[..8]);
        // The last line may have been cut by the kill.
        var spectra = carmine[8..^1];
        Assert.InRange(spectra.Length, 2, 6);
        Assert.All(spectra, line => Assert.Matches(Spectrum, line));
    }
}
