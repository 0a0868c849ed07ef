namespace Carmine.Server.Tests;

/// <summary>One server shared by the tests of a class (xunit IClassFixture); each test flushes what it needs.</summary>
public sealed class ServerFixture : IDisposable
{
    public TestServer Server { get; } = new("--enable-debug-command", "yes");

    public void Dispose() => Server.Dispose();
}
