namespace Carmine.Server.Types;

/// <summary>
/// A value COPY can duplicate. Every <see cref="IRedisObject"/> type implements it: the copy has the same
/// contents and encoding and shares no mutable state with the original, so writing one never changes the other.
/// </summary>
public interface ICopyable
{
    IRedisObject DeepCopy();
}
