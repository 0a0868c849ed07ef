namespace Carmine.Client;

/// <summary>
/// The keys of one command (or of one transaction) hash to different slots, found by the cluster client
/// before anything is sent. Its message starts with CROSSSLOT like the server's own error.
/// </summary>
public sealed class RedisCrossSlotException(string message) : RedisServerException(message);
