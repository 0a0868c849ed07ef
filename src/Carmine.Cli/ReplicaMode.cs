namespace Carmine.Cli;

/// <summary>--replica: SYNCs like a replica, discards the RDB, then prints every command the master
/// streams, one CSV line each ("SET","k","v"), until the link closes or Ctrl-C.</summary>
public static class ReplicaMode
{
    public static int Run(CliSession session)
    {
        var sync = new MasterSync(session);
        sync.Replconf("capa", "eof");
        sync.Replconf("rdb-filter-only", "");
        sync.Sync();
        Console.Error.Write(sync.UsesEofMark
            ? "SYNC with master, discarding bytes of bulk transfer until EOF marker...\n"
            : $"SYNC with master, discarding {sync.PayloadSize} bytes of bulk transfer...\n");
        var buffer = new byte[1024];
        while (!sync.Done) sync.ReadPayload(buffer, "Error reading RDB payload while SYNCing");
        if (sync.UsesEofMark)
        {
            Console.Error.Write($"SYNC done after {sync.BytesRead} bytes. Logging commands from master.\n");
            // A diskless master streams only once the replica acknowledges. redis-cli sends the ACK as a
            // command and takes the first streamed command (normally the SELECT) as its reply, unprinted.
            Thread.Sleep(1000);
            sync.Replconf("ACK", "0");
        }
        else Console.Error.Write("SYNC done. Logging commands from master.\n");
        while (true)
        {
            Carmine.Protocol.RespValue command;
            try
            {
                command = session.Connection!.ReadReply();
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
            {
                throw CliExit.Fail(session, "Error: Server closed the connection");
            }
            session.WriteOut(ReplyFormatter.Format(command, OutputMode.Csv, forceRaw: false));
        }
    }
}
