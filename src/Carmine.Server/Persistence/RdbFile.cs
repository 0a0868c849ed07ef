using System.Buffers.Binary;
using System.Text;
using Carmine.Server.Keyspace;
using Carmine.Server.Types;

namespace Carmine.Server.Persistence;

/// <summary>One key as a snapshot holds it: the value is the snapshot's own copy.</summary>
public readonly record struct KeyImage(byte[] Key, object Value, long ExpireAt);

/// <summary>One database's keys in a snapshot or a loaded file.</summary>
public sealed class DbImage(int index)
{
    public int Index { get; } = index;
    public List<KeyImage> Keys { get; } = [];
}

/// <summary>The result of reading a whole RDB file: every database's keys, and how many expired ones were skipped.</summary>
public sealed class LoadedDataset
{
    public List<DbImage> Databases { get; } = [];
    public long KeysLoaded { get; set; }
    public long KeysExpired { get; set; }
    /// <summary>Keys whose value was empty (older servers could save such keys); they are left out.</summary>
    public long EmptyKeysSkipped { get; set; }
    public int Version { get; set; }
    /// <summary>Where the RDB ended in the data read (an AOF with an RDB preamble continues with commands there).</summary>
    public int EndOffset { get; set; }
    /// <summary>The code of each function library in the file, in file order.</summary>
    public List<byte[]> Functions { get; } = [];
}

/// <summary>One database as the writer walks it: the counts for RESIZEDB, then the keys, produced as they are written.</summary>
public readonly record struct DbSection(int Index, long KeyCount, long VolatileCount, IEnumerable<KeyImage> Keys);

/// <summary>
/// How to write an RDB: LZF compression, the CRC-64 footer, the aof-base aux field (a multi-part AOF's base file),
/// extra aux fields (a full resync's replication id and offset), and a callback run after each key.
/// </summary>
public sealed record RdbWriteOptions(bool Compress, bool Checksum)
{
    public bool AofBase { get; init; }
    public IReadOnlyList<(string Name, string Value)> ExtraAux { get; init; } = [];
    public Action? PerKey { get; init; }
    /// <summary>Function libraries' code, written after the aux fields as Redis does.</summary>
    public IReadOnlyList<byte[]>? Functions { get; init; }
}

/// <summary>What a loader hears while <see cref="RdbFile.Read"/> parses: the aux fields, and the end of each key with the bytes read so far.</summary>
public interface IRdbLoadObserver
{
    void Aux(string name, string value);
    void KeyRead(long bytesRead);
}

/// <summary>Whole RDB files: writing a snapshot (rdbSaveRio) and reading one back (rdbLoadRio).</summary>
public static class RdbFile
{
    public static void Write(Stream output, IEnumerable<DbSection> dbs, RdbWriteOptions options)
    {
        var w = new RdbWriter(output, options.Compress, options.Checksum);
        w.WriteRaw(Encoding.ASCII.GetBytes($"REDIS{Rdb.Version:D4}"));
        w.WriteAux("redis-ver", RedisServer.RedisVersion);
        w.WriteAux("redis-bits", "64");
        w.WriteAux("ctime", (Clock.NowMs() / 1000).ToString());
        w.WriteAux("used-mem", GC.GetTotalMemory(false).ToString());
        foreach (var (name, value) in options.ExtraAux) w.WriteAux(name, value);
        w.WriteAux("aof-base", options.AofBase ? "1" : "0");
        if (options.Functions is not null) Scripting.FunctionsRdb.Write(w, options.Functions);
        foreach (var db in dbs)
        {
            if (db.KeyCount == 0) continue;
            w.WriteByte(Rdb.OpSelectDb);
            w.WriteLength((ulong)db.Index);
            w.WriteByte(Rdb.OpResizeDb);
            w.WriteLength((ulong)db.KeyCount);
            w.WriteLength((ulong)db.VolatileCount);
            foreach (var k in db.Keys)
            {
                if (k.ExpireAt != 0)
                {
                    w.WriteByte(Rdb.OpExpireTimeMs);
                    w.WriteMillis(k.ExpireAt);
                }
                w.WriteObjectType(k.Value);
                w.WriteString(k.Key);
                w.WriteObject(k.Value);
                options.PerKey?.Invoke();
            }
        }
        w.WriteByte(Rdb.OpEof);
        Span<byte> crc = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(crc, options.Checksum ? w.Crc : 0);
        w.WriteRaw(crc);
        w.Flush();
    }

    /// <summary>
    /// Reads a whole file into memory structures; nothing touches the live keyspace, so a corrupt file leaves it
    /// as it was. Keys whose expiry is before <paramref name="nowMs"/> are skipped, as a master does.
    /// <paramref name="observer"/> hears the aux fields and each key (key-load-delay, INFO's loading progress).
    /// </summary>
    public static LoadedDataset Read(byte[] data, RdbLoadLimits limits, bool verifyChecksum, long nowMs, int dbCount, IRdbLoadObserver? observer = null)
    {
        var r = new RdbReader(data);
        var result = new LoadedDataset();
        var magic = r.ReadRaw(Math.Min(9, data.Length));
        if (magic.Length < 9 || !magic[..5].SequenceEqual("REDIS"u8))
            throw new RdbFormatException("Wrong signature trying to load DB from file", 0);
        if (!int.TryParse(Encoding.ASCII.GetString(magic[5..]), out int version) || version < 1 || version > Rdb.Version)
            throw new RdbFormatException($"Can't handle RDB format version {Encoding.ASCII.GetString(magic[5..])}", 5);
        result.Version = version;
        var db = new DbImage(0);
        result.Databases.Add(db);
        long expireAt = 0;
        while (true)
        {
            int at = r.Position;
            byte type = r.ReadByte();
            switch (type)
            {
                case Rdb.OpExpireTime:
                    expireAt = BinaryPrimitives.ReadInt32LittleEndian(r.ReadRaw(4)) * 1000L;
                    continue;
                case Rdb.OpExpireTimeMs:
                    expireAt = r.ReadMillis();
                    continue;
                case Rdb.OpFreq:
                    r.ReadByte();
                    continue;
                case Rdb.OpIdle:
                    r.ReadLength();
                    continue;
                case Rdb.OpEof:
                    break;
                case Rdb.OpSelectDb:
                    {
                        ulong index = r.ReadLength();
                        if (index >= (ulong)dbCount)
                            throw new RdbFormatException($"FATAL: Data file was created with a Redis server configured to handle more than {dbCount} databases. Exiting", at);
                        db = result.Databases.Find(d => d.Index == (int)index) ?? new DbImage((int)index);
                        if (!result.Databases.Contains(db)) result.Databases.Add(db);
                        continue;
                    }
                case Rdb.OpResizeDb:
                    r.ReadLength();
                    r.ReadLength();
                    continue;
                case Rdb.OpAux:
                    {
                        var name = r.ReadString();
                        var value = r.ReadString();
                        observer?.Aux(Encoding.UTF8.GetString(name), Encoding.UTF8.GetString(value));
                        continue;
                    }
                case Rdb.OpModuleAux:
                    throw new RdbFormatException("The RDB file contains AUX module data I can't load: no matching module", at);
                case Rdb.OpFunction:
                case Rdb.OpFunction2:
                    result.Functions.Add(Scripting.FunctionsRdb.Read(r, type));
                    continue;
                default:
                    {
                        if (!Rdb.IsObjectType(type)) throw new RdbFormatException($"Unknown RDB opcode or type {type}", at);
                        var key = r.ReadString();
                        var value = r.ReadObject(type, limits);
                        long expire = expireAt;
                        expireAt = 0;
                        observer?.KeyRead(r.Position);
                        if (value is null)
                        {
                            if (result.EmptyKeysSkipped++ < 10) Log.Warning($"rdbLoadObject skipping empty key: {Encoding.UTF8.GetString(key)}");
                            continue;
                        }
                        if (expire != 0 && expire < nowMs)
                        {
                            result.KeysExpired++;
                            continue;
                        }
                        db.Keys.Add(new KeyImage(key, value, expire));
                        result.KeysLoaded++;
                        continue;
                    }
            }
            break;
        }
        if (version >= 5)
        {
            int at = r.Position;
            ulong expected = Crc64.Update(0, data.AsSpan(0, at));
            ulong stored = BinaryPrimitives.ReadUInt64LittleEndian(r.ReadRaw(8));
            if (verifyChecksum && !Rdb.SkipChecksumValidation && stored != 0 && stored != expected)
                throw new RdbFormatException($"Wrong RDB checksum expected: ({stored:x}) got: ({expected:x}). RDB CRC error", at);
        }
        result.EndOffset = r.Position;
        return result;
    }

    /// <summary>Puts a loaded dataset into empty databases; the caller holds every lock or runs before clients connect.</summary>
    public static void Install(Keyspace.Keyspace keyspace, LoadedDataset data)
    {
        foreach (var image in data.Databases)
        {
            var db = keyspace[image.Index];
            foreach (var k in image.Keys)
            {
                var existing = db.Find(k.Key, 0);
                if (existing is not null) db.Remove(existing);
                var e = db.Add(k.Key, k.Value);
                if (k.ExpireAt != 0) db.SetExpire(e, k.ExpireAt);
            }
        }
    }

    /// <summary>The live keyspace as sections to write; the caller holds every lock until the write ends (SAVE).</summary>
    public static IEnumerable<DbSection> Live(Keyspace.Keyspace keyspace) => keyspace.Databases.Select(db =>
        new DbSection(db.Index, db.Count, db.VolatileCount,
            db.Shards.SelectMany(s => s.Table.Entries()).Select(e => new KeyImage(e.Key, e.Value, e.ExpireAt))));

    /// <summary>A value the snapshot can serialize later while the original keeps changing.</summary>
    public static object CopyValue(object value) => value switch
    {
        byte[] b => b,
        RawString r => r.ToArray(),
        ICopyable c => c.DeepCopy(),
        _ => value,
    };

    /// <summary>
    /// Writes to a temporary file (<paramref name="tempName"/>, else one named after the process and thread) in the
    /// same directory, then renames it over <paramref name="path"/>, so a reader never sees half a file.
    /// </summary>
    public static long SaveToPath(string path, Action<Stream> write, string? tempName = null)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        string temp = Path.Combine(dir, tempName ?? $"temp-{Environment.ProcessId}-{Environment.CurrentManagedThreadId}.rdb");
        try
        {
            using (var fs = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1))
            {
                // The writer buffers itself; the file gets its bytes in large writes.
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
            return new FileInfo(path).Length;
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }
}
