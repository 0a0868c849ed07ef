namespace Carmine.Client;

/// <summary>An error reply from the server (-ERR, -WRONGTYPE, ...).</summary>
public class RedisServerException(string message) : Exception(message)
{
    /// <summary>The first word of the error, e.g. "ERR", "WRONGTYPE", "NOSCRIPT".</summary>
    public string Prefix => Message.Split(' ', 2)[0];
}

/// <summary>The connection broke or could not be made; a command that had been sent may or may not have run.</summary>
public class RedisConnectionException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A command got no reply within the response timeout.</summary>
public class RedisTimeoutException(string message) : TimeoutException(message);

/// <summary>A WATCHed key changed before EXEC and the transaction did not run, even after all retries.</summary>
public class RedisTransactionConflictException(string message) : Exception(message);

/// <summary>
/// The connection was closed while the command was still queued: it never reached the server, so sending it
/// elsewhere is safe (the failover client does, after moving to a new master).
/// </summary>
sealed class CommandNotSentException(string message) : ObjectDisposedException(nameof(RedisConnection), message);
