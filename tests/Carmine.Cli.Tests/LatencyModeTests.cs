using System.Text;
using System.Text.RegularExpressions;

namespace Carmine.Cli.Tests;

/// <summary>--latency prints timings, so it is checked for redis-cli's format rather than compared byte for byte.</summary>
public sealed class LatencyModeTests(RedisServerFixture server) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public void LatencyInRawModePrintsOneLineAfterASecondAndExits()
    {
        var r = CliRun.Run(CliRun.CarmineCliPath, ["-p", server.Port.ToString(), "--latency", "--raw"], null, new Dictionary<string, string>());
        Assert.Equal(0, r.ExitCode);
        Assert.Matches(new Regex(@"^\d+ \d+ \d+\.\d\d \d+\n$"), Encoding.ASCII.GetString(r.Stdout));
    }

    [Fact]
    public void LatencyInCsvModeSeparatesWithCommas()
    {
        var r = CliRun.Run(CliRun.CarmineCliPath, ["-p", server.Port.ToString(), "--latency", "--csv"], null, new Dictionary<string, string>());
        Assert.Matches(new Regex(@"^\d+,\d+,\d+\.\d\d,\d+\n$"), Encoding.ASCII.GetString(r.Stdout));
    }
}
