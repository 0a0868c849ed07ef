namespace Carmine.Server;

/// <summary>Error replies shared by many commands, in Redis's exact words.</summary>
public static class Errors
{
    public const string WrongType = "WRONGTYPE Operation against a key holding the wrong kind of value";
    public const string Syntax = "ERR syntax error";
    public const string NotInteger = "ERR value is not an integer or out of range";
    public const string NotFloat = "ERR value is not a valid float";
    public const string NoSuchKey = "ERR no such key";
    public const string Overflow = "ERR increment or decrement would overflow";
    public const string DbIndexOutOfRange = "ERR DB index is out of range";
    public const string SameObject = "ERR source and destination objects are the same";
    public const string OutOfRange = "ERR index out of range";

    public static string WrongArgs(string command) => $"ERR wrong number of arguments for '{command}' command";
}
