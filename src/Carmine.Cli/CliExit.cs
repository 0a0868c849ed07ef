namespace Carmine.Cli;

/// <summary>redis-cli's modes end on an unexpected answer by printing a message on stderr and exiting with 1.</summary>
public static class CliExit
{
    /// <summary>Flushes stdout, prints the message on stderr and exits with 1. It never returns: the exception
    /// is there for the compiler's flow analysis (callers write <c>throw CliExit.Fail(...)</c>).</summary>
    public static Exception Fail(CliSession session, string message)
    {
        session.Out.Flush();
        Console.Error.Write(message + "\n");
        Environment.Exit(1);
        return new System.Diagnostics.UnreachableException();
    }
}
